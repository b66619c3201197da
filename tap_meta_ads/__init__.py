"""tap-meta-ads: a Singer tap for Meta's Marketing API (Graph API v25.0)."""
