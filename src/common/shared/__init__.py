"""Small, dependency-free helpers (hashing, ...)."""
