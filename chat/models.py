"""Chat between matched pairs (issue 6)."""
