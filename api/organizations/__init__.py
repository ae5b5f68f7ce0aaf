"""Organizations: create, read, change and archive them, and the current organization."""
