"""Our own API under /livechat-analytics/: the scorecard and the time series (EXTENSIONS.md)."""
