"""MLflow tracking utilities: the single source of truth for retries, run URLs, child runs,
stage setup, run hashes and run queries."""
