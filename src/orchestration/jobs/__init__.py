"""Pipeline jobs."""
