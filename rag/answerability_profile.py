"""The per-library profile of the answerability score (rag/answerability.py): the mean of its centred
features over control questions made from the library's own sentences and asked against its other documents,
so one threshold holds on libraries whose vocabulary and score levels differ. Computed once per library
revision (a few seconds) and kept in the data dir."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Callable, Sequence

from .answerability import CENTRED, Answerability, LibraryProfile
from .text import sentences, terms
from .types import Hit

Retrieve = Callable[[str, Sequence[str] | None], list[Hit]]  # (query, allowed doc ids or None) -> hits


def control_questions(chunks: Sequence, n: int = 32, seed: int = 0) -> list[tuple[str, str]]:
    """(doc_id, pseudo-question) pairs: the first substantial sentence of `n` random chunks, cut to 14 words,
    spread over the library's documents. Asked against the *other* documents, each is on the library's topic
    and in its vocabulary, and (almost surely) unanswered: the score level of an in-domain miss."""
    rng = random.Random(seed)
    by_doc: dict[str, list] = {}
    for c in chunks:
        by_doc.setdefault(c.doc_id, []).append(c)
    docs = sorted(by_doc)
    out: list[tuple[str, str]] = []
    tries = 0
    while docs and len(out) < n and tries < n * 10:
        tries += 1
        c = rng.choice(by_doc[docs[len(out) % len(docs)]] if len(docs) > 1 else by_doc[docs[0]])
        for a, b in sentences(c.text):
            s = c.text[a:b]
            if len(terms(s)) >= 6 and not s.lstrip().startswith(("#", "|")):
                out.append((c.doc_id, " ".join(s.split()[:14])))
                break
    return out


def profile(
    assessor: Answerability, controls: Sequence[tuple[str, str]], retrieve: Retrieve, doc_ids: Sequence[str]
) -> LibraryProfile:
    """Mean centred-feature values of the control questions, each asked against the other documents (a
    one-document library asks against itself minus the control's own sentence, which is weaker)."""
    sums = {k: 0.0 for k in CENTRED}
    n = 0
    for doc, text in controls:
        others = [d for d in doc_ids if d != doc]
        hits = retrieve(text, others or None)
        if not others:
            hits = [h for h in hits if text not in " ".join(h.chunk.text.split())]
        f = assessor.features(text, hits).features
        for k in CENTRED:
            sums[k] += f[k]
        n += 1
    return LibraryProfile({k: v / n for k, v in sums.items()} if n else {}, n)


def library_profile(
    assessor: Answerability, bm25, store, retrieve: Retrieve, n: int = 32, seed: int = 0
) -> LibraryProfile:
    """The profile of the library behind `bm25` (its chunk ids) and `store` (their texts)."""
    rng = random.Random(seed)
    ids = rng.sample(list(bm25.ids), min(len(bm25.ids), n * 4))
    controls = control_questions(store.get(ids), n, seed)
    return profile(assessor, controls, retrieve, sorted(set(bm25.doc_ids)))


PROFILE_VERSION = 1  # bump when a feature's definition changes: saved profiles are then recomputed
MIN_PROFILE_CHUNKS = 20  # a smaller library gives too few distinct controls; it gets DEFAULT_NULL
# the profile means of the libraries the coefficients were fitted on, averaged
# (answerability_fit.py prints them)
DEFAULT_NULL: dict[str, float] = {"cos": 0.424, "cover": 0.49, "sent": 0.334, "sent_cos": 0.474}


def for_service(service, controls: int = 32, path=None) -> Answerability:
    """An assessor over an AnswerService's live library (its BM25 twin, embedder and profile). The profile
    costs `controls` retrievals (a few seconds); with `path` it is kept in a JSON file and reused."""
    found = service.sources.bm25()
    bm25, store = found if found else (None, None)
    a = Answerability(bm25, service.index.embedder, profile=LibraryProfile(dict(DEFAULT_NULL)))
    if bm25 is None or len(bm25.ids) < MIN_PROFILE_CHUNKS or not controls:
        return a
    saved = Path(path) if path else None
    if saved is not None and saved.is_file():
        try:
            data = json.loads(saved.read_text())
            if data.get("version") == PROFILE_VERSION:
                a.profile = LibraryProfile(data["means"], data.get("n", 0))
                return a
        except (ValueError, KeyError, OSError):
            pass  # recomputed below
    prof = library_profile(a, bm25, store, lambda text, docs: service.retrieve(text, None, docs), controls)
    if prof.n:
        a.profile = prof
        if saved is not None:
            try:
                saved.parent.mkdir(parents=True, exist_ok=True)
                saved.write_text(json.dumps({"version": PROFILE_VERSION, "means": prof.means, "n": prof.n}))
            except OSError:
                pass  # a read-only data dir costs a recomputation next time, nothing else
    return a
