"""The read model in the embedded SQLite store."""
