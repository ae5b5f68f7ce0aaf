"""The tenant registry's domain: organizations, their rules and their unique keys."""
