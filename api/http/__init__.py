"""The HTTP machinery every feature shares: middleware, errors, credentials, dependencies."""
