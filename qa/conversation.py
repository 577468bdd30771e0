"""Conversations: the earlier turns a follow-up leans on, and the articles they were about.

A turn is a question, its answer's text, and the articles that answer cited
(the article of its best sentence first). ``turns`` reads a history in every
form the surfaces send: (question, answer) pairs, (question, answer,
articles) triples, earlier ``Answer`` objects, or their ``to_dict()`` JSON.
``Focus`` is what a follow-up searches first: the articles the latest
answer came from, then those of the answers before it.

    >>> turns([("Who is Andrii Yermak?", "Ukraine's adviser ... [1]", ["paris.txt"])])[0].articles
    ('paris.txt',)

Leaves out: what a follow-up's words refer to (``question.py`` resolves
"he" and "Why?"), and the limits on a history's size (``Engine.check_history``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from .sentences import answer_sentences

# A turn in any of the forms ``turns`` reads.
TurnLike = Any


@dataclass(frozen=True)
class Turn:
    """One earlier turn: the question, the answer's text, and the articles its answer cited."""

    question: str
    answer: str = ""
    articles: tuple[str, ...] = ()  # the article of the answer's best sentence first
    answered: bool = True  # False: the answer was a refusal (its citations are only the closest passages)
    sure: float = 1.0  # the answer's confidence: how firmly the next question keeps to its articles


@dataclass(frozen=True)
class Focus:
    """The articles a follow-up searches first: the latest answer's, then the earlier answers'."""

    latest: frozenset[str] = frozenset()
    earlier: frozenset[str] = frozenset()
    said: tuple[str, ...] = ()  # the sentences of the latest answer (a conversation walks on through its story)
    sure: float = 1.0  # how sure the latest answer was: a guess places no story as firmly as a sure answer

    @property
    def articles(self) -> frozenset[str]:
        return self.latest | self.earlier

    def __bool__(self) -> bool:
        return bool(self.latest or self.earlier)


def turns(history: Iterable[TurnLike] | None) -> list[Turn]:
    """A history's turns; TypeError naming the forms accepted when an item is none of them."""
    if history is None:
        return []
    if isinstance(history, (str, bytes, dict)) or not hasattr(history, "__iter__"):
        raise TypeError(_FORMS)
    return [turn_of(item) for item in history]


_FORMS = ("history must be a list of turns: (question, answer_text) pairs, (question, answer_text, "
          "cited_articles) triples, or earlier answers (Answer objects or their to_dict() JSON)")


def turn_of(item: TurnLike) -> Turn:
    """One turn from any accepted form; TypeError otherwise."""
    if isinstance(item, Turn):
        return item
    if isinstance(item, dict):
        if "question" not in item or not ("text" in item or "answer" in item):
            raise TypeError(_FORMS)
        cited = item.get("articles")
        if cited is None:
            cited = [c.get("article") for c in item.get("citations") or [] if isinstance(c, dict)]
        return Turn(_text(item["question"]), _text(item.get("text", item.get("answer"))), _names(cited),
                    bool(item.get("answered", True)), _sure(item.get("confidence")))
    if hasattr(item, "citations") and hasattr(item, "question") and hasattr(item, "text"):  # an Answer
        return Turn(_text(item.question), _text(item.text), _names(c.article for c in item.citations),
                    bool(getattr(item, "answered", True)), _sure(getattr(item, "confidence", None)))
    if isinstance(item, (tuple, list)) and len(item) in (2, 3):
        cited = item[2] if len(item) == 3 else ()
        if isinstance(cited, (str, bytes)) or not hasattr(cited, "__iter__"):
            raise TypeError(_FORMS)
        return Turn(_text(item[0]), _text(item[1]), _names(cited))
    raise TypeError(_FORMS)


def focus(history: Sequence[Turn]) -> Focus:
    """The articles of the latest answered turn that cited any, and of the answered turns before it."""
    answered = [t for t in history if t.answered and t.articles]
    if not answered:
        return Focus()
    latest = frozenset(answered[-1].articles)
    earlier = frozenset(a for t in answered[:-1] for a in t.articles) - latest
    return Focus(latest, earlier, tuple(answer_sentences(answered[-1].answer)), answered[-1].sure)


def _sure(value: object) -> float:
    """A confidence as a float in 0..1; 1 where a turn does not say (a pair or triple, a missing or bad value)."""
    try:
        sure = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 1.0
    return min(1.0, max(0.0, sure)) if sure == sure else 1.0


def _names(values: Iterable[Any]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(str(v) for v in values if v))


def _text(value: object) -> str:
    return value if isinstance(value, str) else str(value or "")
