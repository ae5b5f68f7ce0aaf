"""History, revert, time travel and the change feed."""
