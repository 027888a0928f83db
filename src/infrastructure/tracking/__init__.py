"""Experiment tracking backends."""
