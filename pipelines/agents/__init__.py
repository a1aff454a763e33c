"""Rocket.Chat's agents analytics family: one row per agent (id and username), by username."""
