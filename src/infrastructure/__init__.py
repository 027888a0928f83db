"""Infrastructure: tracking, platform adapters. Never imports ``orchestration``."""
