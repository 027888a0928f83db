"""Adapters between the pipeline and the platforms it runs on."""
