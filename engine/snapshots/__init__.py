"""Snapshot files (every ARG export shape, ARM bodies, facts rows) -> tables; what they hold."""
