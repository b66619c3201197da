"""Streams by object family."""
