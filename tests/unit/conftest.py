"""Fixtures for tests/unit; the AppTest helpers themselves live in appkit.py."""
from appkit import app_env  # noqa: F401  (fixture: a fresh data dir and env per AppTest)
