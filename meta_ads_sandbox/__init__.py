"""A local, deterministic fake of Meta's Marketing API (Graph API v25.0, v26.0 and v27.0).

It shares no code with the tap: it is the independent oracle the tap is tested against.
"""
