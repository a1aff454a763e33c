"""Our own API beyond the drop-in, and the dashboard page built on it."""
