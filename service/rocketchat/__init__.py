"""The drop-in: Rocket.Chat's analytics endpoints, byte-compatible, and nothing else."""
