"""Scheduled-scan state: history DB and baselines."""
