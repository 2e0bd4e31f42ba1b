"""The bundled user guide (data/sample/guide.md): it renders to the sample PDF the loader reads, and its
settings table states the real defaults."""

from __future__ import annotations

import re
from pathlib import Path

from tests.fixtures_docs import load


def test_the_user_guide_renders_to_a_multi_page_pdf_the_loader_reads(tmp_path):
    from ingest.sample_pdf import render

    guide = Path(__file__).resolve().parents[2] / "data" / "sample" / "guide.md"
    pages = render(guide.read_text(encoding="utf-8"), tmp_path / "guide.pdf")
    doc = load(tmp_path / "guide.pdf")
    assert pages == len(doc.pages) >= 4
    assert doc.title == "docqa user guide"
    text = "\n".join(doc.pages)
    for phrase in ("rag ingest PATH", "RAG_OPENAI_BASE_URL", "rag reindex", "encrypted: needs a password"):
        assert phrase in text
    assert "RAG_ALLOWED_GENERATORS" in text and "`--prune`" not in text  # table kept, inline markers dropped


def test_sample_pdf_replaces_characters_a_core_font_cannot_draw(tmp_path):
    from ingest.sample_pdf import render

    render(
        "# Quotes\n\n\u201cSmart\u201d \u2014 quotes \u2026 and \u65e5\u672c.\n\n- a \u2022 bullet\n",
        tmp_path / "q.pdf",
    )
    assert '"Smart" - quotes ... and ??.' in load(tmp_path / "q.pdf").pages[0]


def test_the_guide_settings_table_matches_the_real_defaults():
    from rag import Settings

    guide = (Path(__file__).resolve().parents[2] / "data" / "sample" / "guide.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `RAG_(\w+)` \| (?:`([^`]*)`|\(none\)) \|", guide, re.M)
    assert len(rows) >= 20
    fields = Settings.model_fields
    for name, documented in rows:
        default = fields[name.lower()].default
        actual = (
            ""
            if default is None
            else str(default).rstrip("0").rstrip(".")
            if isinstance(default, float)
            else str(default)
        )
        actual = actual.lower() if isinstance(default, bool) else actual
        assert documented == actual, f"RAG_{name}: guide says {documented!r}, settings.py says {actual!r}"
