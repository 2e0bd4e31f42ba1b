"""What confines the parse worker beyond its memory cap: a minimal environment (no secrets), death with
its parent, and a CPU-time limit that holds even when nobody is left to enforce the per-file timeout."""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import sys

# the worker needs to find Python, its packages, a temp dir, a locale and tesseract's data; nothing else
# (the parent's environment holds RAG_OPENAI_API_KEY, RAG_ADMIN_PASSWORD and whatever else the shell had)
_KEEP = (
    "PATH",
    "HOME",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TMPDIR",
    "TEMP",
    "TMP",
    "PYTHONPATH",
    "PYTHONHOME",
    "VIRTUAL_ENV",
    "TESSDATA_PREFIX",
    "OMP_NUM_THREADS",
    "OMP_THREAD_LIMIT",
    "OMP_WAIT_POLICY",
    "HF_HUB_OFFLINE",
    "TRANSFORMERS_OFFLINE",
)
PARENT = "DOCQA_PARENT_PID"
CPU_S = "DOCQA_PARSE_CPU_S"
CPU_FACTOR = 2  # the parent kills at the timeout; the kernel's limit is the backstop, a little later
PR_SET_PDEATHSIG = 1


def worker_env(cpu_s: float) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in _KEEP}
    env.update({"PYTHONUNBUFFERED": "1", PARENT: str(os.getpid()), CPU_S: f"{cpu_s:g}"})
    return env


def confine() -> None:
    """In the worker, first thing: die with the parent (SIGKILL, from the kernel) instead of being
    reparented and parsing on; exit at once if the parent is already gone."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    parent = os.environ.get(PARENT)
    if parent and os.getppid() != int(parent):  # the parent died before prctl took effect
        os._exit(1)


def limit_cpu() -> None:
    """Before each file: at most CPU_FACTOR x the per-file timeout of CPU from now (SIGXCPU kills)."""
    try:
        cap = float(os.environ.get(CPU_S, "0"))
    except ValueError:
        return
    if cap <= 0:
        return
    used = resource.getrusage(resource.RUSAGE_SELF)
    soft = int(used.ru_utime + used.ru_stime + CPU_FACTOR * cap) + 1
    try:
        _, hard = resource.getrlimit(resource.RLIMIT_CPU)
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
    except (ValueError, OSError):
        pass
