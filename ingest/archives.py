"""Zip-bomb check for zip-based formats (DOCX), from the central directory alone, before any parsing.

A 146 KB DOCX can declare ~1 GB of XML; the parser would inflate all of it. Python's zipfile never
reads past a member's declared size, so the declared sizes bound the real cost.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from rag.errors import DocumentError

MAX_UNCOMPRESSED = 512 * 1024**2  # no real document's XML and images come near this
MAX_RATIO = 100  # XML compresses ~5-20x; checked only past RATIO_FLOOR, where it starts to cost
RATIO_FLOOR = 32 * 1024**2
MAX_MEMBERS = 10_000


def check_zip(path: Path) -> None:
    """DocumentError when the archive declares too much uncompressed data, too high a ratio or too many
    members; a file that is not a readable zip is left to the loader to report."""
    try:
        with zipfile.ZipFile(path) as z:
            members = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return
    if len(members) > MAX_MEMBERS:
        raise DocumentError(f"rejected: the archive has {len(members)} parts (a zip bomb?)")
    total = sum(m.file_size for m in members)
    packed = max(1, sum(m.compress_size for m in members))
    if total > MAX_UNCOMPRESSED:
        raise DocumentError(f"rejected: it would unpack to {total / 1e6:.0f} MB (a zip bomb?)")
    if total > RATIO_FLOOR and total / packed > MAX_RATIO:
        raise DocumentError(
            f"rejected: it would unpack {total / packed:.0f}x, to {total / 1e6:.0f} MB (a zip bomb?)"
        )
