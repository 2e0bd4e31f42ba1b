"""Who may call the API: bearer keys from RAG_API_KEYS, admin keys from RAG_API_ADMIN_KEYS.

Without any key the server is for this machine only: it refuses to bind anything but loopback, and
answers only requests addressed to a loopback host name from no foreign web origin (otherwise a web
page open in the user's browser could reach it through DNS rebinding or a cross-site form post).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from rag.errors import ConfigError
from rag.settings import Settings

from .errors import ApiError, response

MIN_KEY_CHARS = 16
bearer = HTTPBearer(auto_error=False, description="a key from RAG_API_KEYS (or RAG_API_ADMIN_KEYS)")


def _split(secret) -> tuple[str, ...]:
    return tuple(k.strip() for k in secret.get_secret_value().split(",") if k.strip()) if secret else ()


@dataclass(frozen=True)
class Keys:
    users: tuple[str, ...]  # every valid key (admin keys included)
    admins: tuple[str, ...]

    @classmethod
    def from_settings(cls, settings: Settings) -> "Keys":
        users, admins = _split(settings.api_keys), _split(settings.api_admin_keys)
        short = [k for k in users + admins if len(k) < MIN_KEY_CHARS]
        if short:
            raise ConfigError(
                f"API keys must be at least {MIN_KEY_CHARS} characters (one in RAG_API_KEYS or "
                "RAG_API_ADMIN_KEYS is shorter); generate one with `openssl rand -hex 24`"
            )
        return cls(tuple(dict.fromkeys(users + admins)), admins)

    @property
    def open(self) -> bool:
        return not self.users

    @staticmethod
    def _known(given: str, keys: tuple[str, ...]) -> bool:
        found = False
        for k in keys:  # compare with every key, in constant time each
            found |= hmac.compare_digest(given.encode(), k.encode())
        return found


def key_id(key: str) -> str:
    """A key's name in the log: a short hash, never the key."""
    return hashlib.sha256(key.encode()).hexdigest()[:8]


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(host: str, keys: Keys) -> None:
    if keys.open and not is_loopback(host):
        raise ConfigError(
            f"refusing to listen on {host} without API keys: anyone who can reach it could read "
            "and change your documents; set RAG_API_KEYS (comma-separated bearer tokens) "
            "or use --host 127.0.0.1"
        )


def _host_name(header: str) -> str:
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0]


class LoopbackOnly:
    """ASGI middleware for a server without keys: serve only requests addressed to loopback names."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            host = _host_name(headers.get(b"host", b"").decode("latin-1"))
            origin = headers.get(b"origin")
            origin_host = urlsplit(origin.decode("latin-1")).hostname or "" if origin is not None else None
            if not is_loopback(host) or (origin_host is not None and not is_loopback(origin_host)):
                detail = (
                    "without API keys this server only answers requests to 127.0.0.1 or localhost "
                    "from no foreign web page; set RAG_API_KEYS to serve others"
                )
                await response(403, "forbidden", detail)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _keys(request: Request) -> Keys:
    return request.app.state.services.keys


_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def require_key(request: Request, cred: HTTPAuthorizationCredentials | None = Depends(bearer)) -> str:
    """Any valid key; with no keys configured (loopback only), everyone on this machine."""
    keys = _keys(request)
    if keys.open:
        return ""
    if cred is None:
        raise ApiError(401, "unauthorized", "missing API key: send `Authorization: Bearer <key>`", _CHALLENGE)
    if not keys._known(cred.credentials, keys.users):
        raise ApiError(401, "unauthorized", "invalid API key", _CHALLENGE)
    return cred.credentials


def require_admin(request: Request, key: str = Depends(require_key)) -> str:
    """Deleting documents and reindexing: a key listed in RAG_API_ADMIN_KEYS, always."""
    keys = _keys(request)
    if not keys.admins:
        raise ApiError(
            403, "forbidden", "admin operations are disabled: set RAG_API_ADMIN_KEYS on the server"
        )
    if not keys._known(key, keys.admins):
        raise ApiError(
            403, "forbidden", "this key may not delete or reindex; use one from RAG_API_ADMIN_KEYS"
        )
    return key
