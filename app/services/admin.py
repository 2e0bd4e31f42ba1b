"""What the admin page needs from the library: the password check, the allowed generators, evaluation."""

from __future__ import annotations

import hmac
import logging
import threading
import time
from pathlib import Path
from typing import Callable

from app.eval import retrieval
from rag.errors import ConfigError
from rag.generators import generators
from rag.settings import Settings

log = logging.getLogger("docqa.admin")
FAILED_LOGIN_DELAY_S = 1.0  # slows guessing from a script without bothering a person
# one check at a time for the whole process: many sessions (or API clients) guessing in parallel still
# get one guess per delay in total, not one each
_GUESSES = threading.Lock()


def check_password(given: str, expected: str | None, who: str = "") -> bool:
    """Constant-time comparison, globally throttled, failures logged; with no password nobody gets in."""
    if not expected:
        return False
    with _GUESSES:
        ok = hmac.compare_digest(given.encode(), expected.encode())
        if not ok:
            log.warning("failed admin password attempt%s", f" from {who}" if who else "")
            time.sleep(FAILED_LOGIN_DELAY_S)
    return ok


def allowed_generators(settings: Settings) -> list[str]:
    """Generators a chat user may pick: those the admin allows that are actually installed; `openai`
    only with an explicit RAG_OPENAI_BASE_URL (it sends passages off the machine)."""
    installed = set(generators.names()) - (set() if settings.openai_base_url else {"openai"})
    allowed = [g.strip() for g in settings.allowed_generators.split(",") if g.strip() in installed]
    if settings.generator in installed and settings.generator not in allowed:
        allowed.insert(0, settings.generator)  # the configured default is always usable
    return allowed


def is_beir_folder(folder: Path) -> bool:
    return (folder / "corpus.jsonl").is_file() and (folder / "queries.jsonl").is_file()


def beir_folders(*roots: Path) -> list[Path]:
    """BEIR-layout folders directly under the given roots, to offer in the evaluation panel."""
    found = []
    for root in roots:
        if root.is_dir():
            found += [p for p in sorted(root.iterdir()) if p.is_dir() and is_beir_folder(p)]
    return found


def retrieval_eval(folder: Path, settings: Settings, log: Callable[[str], None] = lambda m: None) -> dict:
    """Run the retrieval evaluation on a BEIR folder: {"methods": {method: {metric: value}}, ...}."""
    if not folder.is_dir():
        raise ConfigError(f"{folder} is not a folder")
    prep = retrieval.prepare(folder, settings, settings.eval_cache, log)
    return retrieval.run(prep, retrieval.default_methods(settings), log=log)
