"""Rule fixtures: reading them and building their snapshots."""
