"""Experiment tracking for pipeline jobs."""
