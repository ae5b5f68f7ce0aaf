"""An organization's secret API keys."""
