"""Articles as embedded texts: chunks per section, their vectors cached by the text embedded, the index."""

from __future__ import annotations

import functools
import io
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb.core import fs
from kb.core.cache import Caches, digest

if TYPE_CHECKING:
    import numpy as np

    from kb.core.article import Article
    from kb.suggest.embedders import Embedder

log = logging.getLogger(__name__)
CHUNK_WORDS = 160  # MiniLM reads 256 word pieces; 160 words stay inside that for most prose
CHUNK_OVERLAP = 40
CHUNK_VERSION = "1"  # bump when the chunking changes, so caches re-embed


@dataclass(frozen=True)
class Place:
    """Where a chunk's vector points: the heading and anchor of its section."""

    heading: str
    anchor: str


@dataclass(frozen=True)
class Chunk(Place):
    """A piece of an article that is embedded on its own: title + one section (or a window of it)."""

    text: str


def _windows(words: list[str]) -> Iterable[list[str]]:
    if len(words) <= CHUNK_WORDS:
        yield words
        return
    step = CHUNK_WORDS - CHUNK_OVERLAP
    for start in range(0, len(words) - CHUNK_OVERLAP, step):
        yield words[start : start + CHUNK_WORDS]


def article_chunks(article: Article) -> list[Chunk]:
    """Split an article into texts to embed: the title with each section, long ones in windows."""
    title = article.title.strip()
    chunks: list[Chunk] = []
    for section in article.sections:
        intro = article.summary if not section.heading and article.summary else ""
        words = " ".join(p for p in (section.heading, intro, section.text) if p).split()
        if not words:
            continue
        for window in _windows(words):
            text = ". ".join(p for p in (title, " ".join(window)) if p)
            chunks.append(Chunk(section.heading, section.anchor, text))
    if not chunks:
        chunks.append(Chunk("", "", ". ".join(p for p in (title, article.summary) if p) or "-"))
    return chunks


def chunks_key(model_id: str, chunks: Sequence[Chunk]) -> str:
    """Cache key of an article's vectors: model, chunking version and the exact texts embedded."""
    return digest(model_id, CHUNK_VERSION, *(c.text for c in chunks))


@functools.lru_cache(maxsize=1)
def _chunking_code() -> str:
    """The identity of the code that turns an article into chunks (this module, kb.core.text)."""
    from kb.core import text

    files = (Path(__file__), Path(text.__file__))
    return digest(*(f"{f.name}:{f.stat().st_size}:{f.stat().st_mtime_ns}" for f in files))


def source_key(model_id: str, article: Article) -> str:
    """The key of what an article's chunks are made from: its title, summary and body, and the code.

    A cache that knows this key knows the article's chunk key and sections without parsing the
    body again (about 1 ms an article: a cold `kb suggest` on 1,000 articles would spend a second).
    """
    code = _chunking_code()
    return digest(model_id, CHUNK_VERSION, code, article.title, article.summary, article.body)


# -- the cache -------------------------------------------------------------------------------------
def cache_file(cache_dir: Path, model_id: str, namespace: str = "kb") -> Path:
    """The cache file of one model and one set of articles (the KB, or an evaluation set)."""
    return Caches(cache_dir).embeddings(model_id, namespace)


Sources = dict[str, tuple[str, list[Place]]]  # source key -> (chunks key, each chunk's place)


def read_cache(path: Path | None) -> tuple[dict[str, np.ndarray], Sources]:
    """Cached vectors by key, and what each known article source was chunked into."""
    import numpy as np

    if path is None or not path.is_file():
        return {}, {}
    try:
        with np.load(path, allow_pickle=False) as data:
            keys, counts, vectors = data["keys"], data["counts"], data["vectors"]
            raw = data["sources"].tobytes() if "sources" in data.files else b"{}"
    except (OSError, ValueError, KeyError) as exc:
        log.warning("%s: unreadable embedding cache, re-embedding (%s)", path, exc)
        return {}, {}
    out, start = {}, 0
    for key, n in zip(keys.tolist(), counts.tolist(), strict=True):
        out[str(key)] = vectors[start : start + n]
        start += n
    return out, _sources(raw, out)


def _sources(raw: bytes, vectors: dict[str, Any]) -> Sources:
    """The stored source map, keeping only entries whose vectors are there, one place a row."""
    try:
        stored = json.loads(raw.decode("utf-8"))
    except ValueError:
        return {}
    found: Sources = {}
    for source, entry in stored.items() if isinstance(stored, dict) else ():
        try:
            key, places = str(entry[0]), [Place(str(h), str(a)) for h, a in entry[1]]
        except (TypeError, ValueError, IndexError):
            continue
        if key in vectors and len(vectors[key]) == len(places):
            found[str(source)] = (key, places)
    return found


def write_cache(path: Path, entries: dict[str, np.ndarray], sources: Sources | None = None) -> None:
    """Write the vectors (and the article sources they were made from) atomically."""
    import numpy as np

    keys = sorted(entries)
    dim = next(iter(entries.values())).shape[1] if entries else 0
    vectors = np.concatenate([entries[k] for k in keys]) if keys else np.zeros((0, dim), np.float32)
    known = {s: [k, [[p.heading, p.anchor] for p in ps]] for s, (k, ps) in (sources or {}).items()}
    buffer = io.BytesIO()
    np.savez(
        buffer,
        keys=np.array(keys, dtype=str),
        counts=np.array([len(entries[k]) for k in keys], dtype=np.int64),
        vectors=vectors.astype(np.float32),
        sources=np.frombuffer(json.dumps(known, sort_keys=True).encode("utf-8"), dtype=np.uint8),
    )
    fs.write_atomic(path, buffer.getvalue())


# -- the article vectors ---------------------------------------------------------------------------
@dataclass
class ChunkIndex:
    """Vectors of every chunk of a set of articles, with the article each belongs to."""

    article_ids: list[str]
    vectors: np.ndarray  # (chunks, dim), unit rows
    owner: np.ndarray  # (chunks,) index into article_ids
    chunks: list[Place]  # Chunk (with its text) where embedded or parsed in this run
    embedded: int = 0  # chunks encoded in this run (the rest came from the cache)
    stats: dict[str, int] = field(default_factory=dict)

    def best_per_article(self, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For one unit query vector: (best cosine per article, index of that chunk)."""
        import numpy as np

        sims = self.vectors @ query
        n = len(self.article_ids)
        best = np.full(n, -1.0, dtype=np.float32)
        np.maximum.at(best, self.owner, sims)
        # the chunk that reached the best score of its article
        order = np.lexsort((-sims, self.owner))
        first = np.ones(len(order), dtype=bool)
        first[1:] = self.owner[order][1:] != self.owner[order][:-1]
        best_chunk = np.zeros(n, dtype=np.int64)
        best_chunk[self.owner[order][first]] = order[first]
        return best, best_chunk


def _encode(embedder: Embedder, texts: list[str], langs: list[str]) -> np.ndarray:
    """Article texts to vectors, with their languages where the embedder uses them."""
    by_lang = getattr(embedder, "encode_articles", None)
    return by_lang(texts, langs) if by_lang is not None else embedder.encode(texts)


def embed_articles(
    articles: Sequence[Article],
    embedder: Embedder,
    cache_dir: Path | None = None,
    namespace: str = "kb",
) -> ChunkIndex:
    """Embed every article per section, reusing cached vectors; only changed articles are encoded."""
    import numpy as np

    path = cache_file(cache_dir, embedder.model_id, namespace) if cache_dir else None
    cached, known = read_cache(path)
    plans: list[tuple[str, Sequence[Place], str]] = []
    sources: Sources = {}
    todo: list[str] = []
    langs: list[str] = []
    for a in articles:
        source = source_key(embedder.model_id, a)
        found = known.get(source)
        if found is not None:  # unchanged since its vectors were stored: no parsing
            sources[source] = found
            plans.append((a.id, found[1], found[0]))
            continue
        parsed = article_chunks(a)
        key = chunks_key(embedder.model_id, parsed)
        sources[source] = (key, list(parsed))
        plans.append((a.id, parsed, key))
        if key not in cached:
            todo.extend(c.text for c in parsed)
            langs.extend([a.lang] * len(parsed))
    fresh = _encode(embedder, todo, langs) if todo else None
    entries: dict[str, np.ndarray] = {}
    pos = 0
    all_vecs, owner = [], []
    all_chunks: list[Place] = []
    for i, (_, chunks, key) in enumerate(plans):
        if key in cached:
            vecs = cached[key]
        else:
            assert fresh is not None
            vecs = fresh[pos : pos + len(chunks)]
            pos += len(chunks)
        entries[key] = vecs
        all_vecs.append(vecs)
        owner.extend([i] * len(chunks))
        all_chunks.extend(chunks)
    if path is not None and (todo or set(entries) != set(cached) or set(sources) != set(known)):
        write_cache(path, entries, sources)
    dim = all_vecs[0].shape[1] if all_vecs else 0
    log.info("embedded %d of %d chunks (%d articles)", len(todo), len(all_chunks), len(plans))
    return ChunkIndex(
        article_ids=[p[0] for p in plans],
        vectors=np.concatenate(all_vecs) if all_vecs else np.zeros((0, dim), np.float32),
        owner=np.array(owner, dtype=np.int64),
        chunks=all_chunks,
        embedded=len(todo),
        stats={"articles": len(plans), "chunks": len(all_chunks), "embedded": len(todo)},
    )
