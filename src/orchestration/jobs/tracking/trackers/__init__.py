"""Per-stage MLflow trackers (training, benchmarking, conversion)."""
