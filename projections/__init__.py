"""Read models built from the registry's events, and the machinery that keeps them current."""
