"""Errors of the matching app (issues 5 and 7 add the match rules' errors here)."""
