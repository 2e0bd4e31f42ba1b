"""The HTTP API (`rag serve`): REST endpoints and an OpenAI-compatible chat endpoint over app.services."""

from .server import create_app, serve

__all__ = ["create_app", "serve"]
