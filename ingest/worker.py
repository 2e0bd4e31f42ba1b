"""The parse worker process: reads (path, max_pages, options) frames on stdin, writes ("ok"|"err", value)
frames, each preceded by any ("note", text) frames the loader sent while parsing (OCR progress)."""

from __future__ import annotations

import resource
import sys

from rag.errors import RagError

from .parsing import WORKER_MEMORY_BYTES, parse_file, read_frame, write_frame
from .sandbox import confine, limit_cpu


def main() -> None:
    confine()  # dies with the parent; CPU capped per file below
    try:  # a decompression bomb hits this cap instead of the machine
        resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY_BYTES, WORKER_MEMORY_BYTES))
    except (ValueError, OSError):
        pass
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a chatty library must not corrupt the frame stream
    while True:
        try:
            path, max_pages, options = read_frame(stdin)
        except EOFError:
            return
        limit_cpu()
        try:
            doc = parse_file(path, max_pages, options, lambda text: write_frame(stdout, ("note", text)))
            write_frame(stdout, ("ok", doc))
        except RagError as e:
            write_frame(stdout, ("err", str(e)))


if __name__ == "__main__":
    main()
