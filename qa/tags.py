"""Part-of-speech tags of a sentence's words, with offsets: what tells a noun phrase from a verb's run.

Short answers are noun phrases, names, dates and numbers; the plain phrases
that ``spans.py`` proposes break where the sentence's verbs, prepositions and
adverbs stand ("Tesla investigated atmospheric electricity, observing
lightning signals via his receivers": "atmospheric electricity", "lightning
signals", not "observing lightning signals via"). The tags come from Brill's
lexicon (94k words, trained on the Brown corpus and the Penn Treebank) as
TextBlob ships it inside its wheel (MIT, Steven Loria; read as data, so
neither TextBlob nor NLTK is imported and nothing is downloaded). spaCy's
English pipelines would tag better, but they are not on the package index.
A word the lexicon lacks is guessed from its shape (a capital: a proper noun;
a digit: a number; -ing, -ed, -ly, -s).

Leaves out: the context rules of Brill's tagger (a word keeps its likeliest
tag: held apart on public-dev, the lexicon alone chose short answers as well
as TextBlob's full tagger and chunker, at 50 us a sentence instead of 270).

    >>> [(w, t) for _, _, w, t in tagged("Tesla investigated atmospheric electricity.")]
    [('Tesla', 'NNP'), ('investigated', 'VBN'), ('atmospheric', 'JJ'), ('electricity', 'NN'), ('.', '.')]
"""

from __future__ import annotations

import importlib.util
import re
from functools import lru_cache
from pathlib import Path

# A number's thousands stay one word ("100,000 soldiers", not "100", ",", "000": a phrase of its own), and so
# does an abbreviation's last dot ("U.S." is America; "U.S" is two letters).
_TOKEN = re.compile(r"(?P<word>\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\w)|(?:[A-Za-z]\.){2,}(?!\w)|\w+(?:[-.]\w+|['’](?!s\b)\w+)*)|"
                    r"(?P<possessive>['’]s\b)|(?P<mark>[^\w\s])")
_ENTRY = re.compile(r"^([^;\s]\S*) (\S+)", re.MULTILINE)  # "word TAG"; ";;;" opens a comment line
Tagged = tuple[tuple[int, int, str, str], ...]  # (start, end, word, tag) of each token


@lru_cache(maxsize=1)
def lexicon() -> dict[str, str]:
    """Brill's lexicon as TextBlob ships it: each word's likeliest Penn Treebank tag, loaded once."""
    spec = importlib.util.find_spec("textblob")  # finds the package without importing it (and NLTK)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("textblob is not installed: pip install -e . installs it (its lexicon tags words)")
    path = Path(next(iter(spec.submodule_search_locations))) / "en" / "en-lexicon.txt"
    return dict(_ENTRY.findall(path.read_text(encoding="utf-8")))  # 75 ms; a loop over lines took 500


def tag_of(word: str, first: bool = False) -> str:
    """A word's tag: the lexicon's (lower-cased when it opens the sentence or is all capitals), else its shape's."""
    if word in ("'s", "’s"):
        return "POS"
    known = lexicon()
    tag = known.get(word) or (known.get(word.lower()) if first or word.isupper() else None)
    if tag:
        return tag
    low = word.lower()
    if word[0].isdigit():
        return "CD"
    if word[0].isupper():
        return "NNP"
    for ending, guess in (("ing", "VBG"), ("ed", "VBN"), ("ly", "RB")):
        if low.endswith(ending):
            return guess
    if low.endswith("s") and not low.endswith("ss"):
        return "NNS"
    return "JJ" if "-" in low else "NN"


@lru_cache(maxsize=20_000)
def tagged(sentence: str) -> Tagged:
    """Each token of ``sentence`` with its offsets and tag (punctuation is its own tag); kept, since answer
    sentences come back question after question."""
    known = lexicon()
    out = []
    for m in _TOKEN.finditer(sentence):
        word, kind = m.group(0), m.lastgroup
        if kind == "word":
            tag = known.get(word) or tag_of(word, not out)
        else:
            tag = "POS" if kind == "possessive" else word
        out.append((m.start(), m.end(), word, tag))
    return tuple(out)
