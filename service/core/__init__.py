"""Shared infrastructure: the database client, auth, workspace settings, metrics, logs."""
