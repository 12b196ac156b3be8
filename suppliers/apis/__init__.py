"""Official item APIs as sources (a later issue)."""
