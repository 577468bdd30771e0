"""What the articles' words are: term statistics and surface words, built once per corpus.

Retrieval weighs terms by their document frequency (BM25, IDF); question
analysis needs the surface words too: typo repair looks for the nearest word
the articles use, and a word the articles mostly write capitalised
("Lavrov", "Dnipro") is a name even in a question typed in lower case.
Leaves out: tokenising rules (``sentences.py``) and the BM25 index itself.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Iterable, Iterator, Mapping

from .sentences import fold_accents, fold_places, stems, words

# A capitalised word that does not start a sentence, a quote or a line.
_CAPITALISED = re.compile(r"(?<![.!?\"\u201c\n]\s)(?<![.!?\"\u201c\n])(?<!^)\b[A-Z][a-z]+(?=['\u2019]s\b|[^\w'\u2019]|$)")
_LOWER = re.compile(r"\b[a-z]+(?=['\u2019]s\b|[^\w'\u2019]|$)")
# Runs of capitalised words whose initials make an acronym: "Distinguished
# Service Medal" is a DSM, "Center for European Policy Analysis" a CEPA.
_CAP = r"[A-Z][a-z]*"
_RUN = re.compile(rf"{_CAP}(?:(?:[ /-]+(?:of|and|for|the|on|in|de|du|von|van)(?= ))*[ /-]+{_CAP})+")
# A word the articles write capitalised (where a sentence does not start) at
# least this often, against its lower-case uses, is a name.
NAME_SHARE = 0.7


class Vocabulary:
    """Terms with document frequencies and surface words with counts and capitalisation."""

    def __init__(self, texts: Iterable[tuple[str, str]]):
        """``texts``: for each passage, what is indexed (title, header, text) and its body text."""
        self.df: Counter[str] = Counter()
        self.words: Counter[str] = Counter()
        self.capitalised: Counter[str] = Counter()  # capitalised uses, not starting a sentence
        self.lower: Counter[str] = Counter()  # lower-case uses
        self.acronyms: set[str] = set()  # initials of capitalised runs, lower case
        self.joined: set[str] = set()  # names joined by "&" ("v&a", "at&t"), lower case
        self.docs: list[list[str]] = []  # each text's terms, in order (what BM25 indexes)
        for text, body in texts:
            if not body.isascii():
                body = fold_accents(body)
            text = fold_places(text)
            tokens = words(text)
            doc = stems(tokens)
            self.docs.append(doc)
            self.df.update(set(doc))
            self.words.update(tokens)
            self.capitalised.update(w.lower() for w in _CAPITALISED.findall(body))
            self.lower.update(_LOWER.findall(body))
            if "&" in body:
                self.joined.update(m.lower() for m in re.findall(r"\b[A-Za-z]+&[A-Za-z]+\b", body))
            for run in _RUN.findall(body):
                initials = [w[0] for w in re.findall(_CAP, run)]
                self.acronyms.update("".join(initials[i:j]).lower() for i in range(len(initials))
                                     for j in range(i + 2, min(len(initials), i + 6) + 1))
        self.doc_count = len(self.docs)
        self._near: dict[tuple[int, int], list[str]] = {}

    def state(self) -> dict:
        """Everything but ``docs``, JSON-ready, in the counters' own order (``from_state`` reads it back)."""
        return {
            "doc_count": self.doc_count,
            "df": dict(self.df),
            "words": dict(self.words),
            "capitalised": dict(self.capitalised),
            "lower": dict(self.lower),
            "acronyms": sorted(self.acronyms),
            "joined": sorted(self.joined),
        }

    @classmethod
    def from_state(cls, state: dict) -> "Vocabulary":
        """The vocabulary ``state()`` saved: the same statistics, without building them again."""
        vocabulary = cls(())
        vocabulary.doc_count = int(state["doc_count"])
        for name in ("df", "words", "capitalised", "lower"):
            setattr(vocabulary, name, Counter(state[name]))
        vocabulary.acronyms = set(state["acronyms"])
        vocabulary.joined = set(state["joined"])
        return vocabulary

    def add(self, other: "Vocabulary") -> None:
        """Count ``other``'s passages in too: every statistic is a sum (or a union) over passages, so two groups
        counted apart and added are the two counted together (a store counts only the articles it lacks)."""
        for name in ("df", "words", "capitalised", "lower"):
            getattr(self, name).update(getattr(other, name))
        self.acronyms |= other.acronyms
        self.joined |= other.joined
        self.docs += other.docs
        self.doc_count += other.doc_count
        self._near.clear()

    def idf(self, term: str) -> float:
        """Inverse document frequency; a term no passage holds weighs the most."""
        df = self.df.get(term, 0)
        return math.log(1 + (self.doc_count - df + 0.5) / (df + 0.5))

    def rarity(self, term: str) -> float:
        """``idf`` scaled to 0..1 by that of a term no passage holds: comparable across corpora of any size."""
        return self.idf(term) / math.log(2 * self.doc_count + 2)

    def knows(self, term: str) -> bool:
        """Whether any passage holds the (stemmed) term."""
        return term in self.df

    def knows_word(self, word: str) -> bool:
        """Whether the articles use this lower-case surface word."""
        return word in self.words

    def knows_acronym(self, word: str) -> bool:
        """Whether ``word`` ("DSM", "DVDs") is the initials of a capitalised run, or a known word."""
        low = word.lower()
        bare = low[:-1] if low.endswith("s") and len(low) > 2 else low
        return low in self.acronyms or bare in self.acronyms or low in self.words or bare in self.words

    def is_name(self, word: str) -> bool:
        """Whether the articles write this word capitalised: a person, place or organisation."""
        word = word.lower()
        capital = self.capitalised.get(word, 0)
        return capital > 0 and capital >= NAME_SHARE * (capital + self.lower.get(word, 0))

    def words_near_length(self, length: int, spread: int) -> list[str]:
        """The articles' words whose length is within ``spread`` of ``length`` (typo candidates), the more frequent
        first, then alphabetically: which of two equally near words repairs a typo does not depend on the order
        articles were counted in, and the frequent one is among the nearest a search keeps."""
        key = (length, spread)
        if key not in self._near:
            near = [w for w in self.words if abs(len(w) - length) <= spread]
            self._near[key] = sorted(near, key=lambda w: (-self.words[w], w))
        return self._near[key]


class _Sum(Mapping[str, int]):
    """Two counters read as their sum, without copying either (``layered``)."""

    def __init__(self, base: Mapping[str, int], own: Mapping[str, int]):
        self.base, self.own = base, own

    def __getitem__(self, key: str) -> int:
        found = self.base.get(key, 0) + self.own.get(key, 0)
        if not found and key not in self.base and key not in self.own:
            raise KeyError(key)
        return found

    def get(self, key: str, default=None):  # type: ignore[override]
        if key in self.base or key in self.own:
            return self.base.get(key, 0) + self.own.get(key, 0)
        return default

    def __contains__(self, key: object) -> bool:
        return key in self.base or key in self.own

    def __iter__(self) -> Iterator[str]:
        yield from self.base
        yield from (k for k in self.own if k not in self.base)

    def __len__(self) -> int:
        return len(self.base) + sum(1 for k in self.own if k not in self.base)


class _Union:
    """Two sets read as their union, without copying either (``layered``)."""

    def __init__(self, base: set[str], own: set[str]):
        self.base, self.own = base, own

    def __contains__(self, key: object) -> bool:
        return key in self.base or key in self.own

    def __iter__(self) -> Iterator[str]:
        yield from self.base
        yield from (k for k in self.own if k not in self.base)


def layered(base: Vocabulary, own: Vocabulary) -> Vocabulary:
    """The statistics of ``base``'s passages and ``own``'s together, read through both: every statistic is a
    sum or a union over passages (as ``Vocabulary.add``), but nothing of ``base`` is copied, so a browser's
    view of a large shared corpus costs the size of its own uploads' words (``overlay.py``)."""
    both = Vocabulary(())
    for name in ("df", "words", "capitalised", "lower"):
        setattr(both, name, _Sum(getattr(base, name), getattr(own, name)))
    both.acronyms = _Union(base.acronyms, own.acronyms)  # type: ignore[assignment]
    both.joined = _Union(base.joined, own.joined)  # type: ignore[assignment]
    both.doc_count = base.doc_count + own.doc_count
    return both
