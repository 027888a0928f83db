"""Code shared by every layer; depends on nothing else in the codebase."""
