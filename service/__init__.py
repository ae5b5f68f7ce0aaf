"""What every entry point shares: settings, logs, store health, and the composition root."""
