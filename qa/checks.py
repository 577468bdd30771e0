"""Input checks: what a question, a conversation's history and an "only these articles" list may be.

Every surface (``ask``, the CLI, the chat, ``/ask``, MCP) reaches them
through the engine, so each says the same thing about the same input, in
one line, bounded. Leaves out: what the articles hold (``engine.py``).
"""

from __future__ import annotations

from typing import Iterable, Sequence

from .config import Settings
from .conversation import Turn, TurnLike, turns
from .errors import ArticleError, QuestionError
from .normalise import strip_escapes


def only_names(only: Iterable[str] | None, known: Iterable[str]) -> frozenset[str] | None:
    """The article names a question is restricted to (None: all), or ArticleError naming an unknown one."""
    if only is None or isinstance(only, str):
        only = [only] if isinstance(only, str) else None
    if only is not None and (isinstance(only, (bytes, dict)) or not hasattr(only, "__iter__")):
        raise TypeError(f"only must be a list of article file names, not {type(only).__name__}")
    names = frozenset(str(n) for n in only or () if str(n).strip())
    if not names:
        return None
    known = set(known)
    unknown = sorted(names - known)
    if unknown:
        raise ArticleError(f"no article is called {listed(unknown)}; the articles are: {listed(sorted(known))}")
    return names


def question_text(question: object, settings: Settings) -> str:
    """The question stripped, or QuestionError saying what is wrong with it."""
    if not isinstance(question, str):
        raise QuestionError(f"the question must be text, not {type(question).__name__}")
    # Bytes that were not text (a terminal's invalid UTF-8 arrives as lone surrogates) become "?".
    question = " ".join(strip_escapes(question).encode("utf-8", "replace").decode("utf-8").split())
    if not question:
        raise QuestionError("the question is empty: type a question about the articles")
    if not any(c.isalnum() for c in question):
        raise QuestionError("the question has no words to search for: type a question about the articles")
    limit = settings.max_question_chars
    if len(question) > limit:
        raise QuestionError(f"the question is {len(question):,} characters long; the limit is {limit:,}")
    return question


def history_turns(history: object, settings: Settings) -> list[Turn]:
    """History as ``Turn``s, checked like the question.

    Each turn is a (question, answer text) pair, a (question, answer text,
    cited articles) triple, or an earlier ``Answer`` (or its ``to_dict()``);
    TypeError for anything else. QuestionError past the settings' limits
    (``max_history_turns``, ``max_history_chars``): pass only the latest
    turns (``recent_turns`` picks them).
    """
    s = settings
    items = list(history) if history is not None and not isinstance(history, (str, bytes, dict)) and hasattr(
        history, "__iter__") else history
    if items is not None and len(items) > s.max_history_turns:
        raise QuestionError(f"the conversation history has {len(items)} turns; the limit is "
                            f"{s.max_history_turns}: pass only the latest turns")
    checked = turns(items)
    chars = 0
    for turn in checked:
        chars += len(turn.question) + len(turn.answer)
        if chars > s.max_history_chars:
            raise QuestionError(f"the conversation history is over the limit of {s.max_history_chars:,} "
                                f"characters: pass only the latest turns")
    return checked


def recent_turns(history: Iterable[TurnLike] | None, settings: Settings) -> list[Turn]:
    """The latest turns of a conversation that fit the history limits."""
    kept: list[Turn] = []
    chars = 0
    for turn in reversed(turns(list(history or [])[-settings.max_history_turns:])):
        chars += len(turn.question) + len(turn.answer)
        if chars > settings.max_history_chars:
            break
        kept.append(turn)
    return kept[::-1]


def listed(names: Sequence[str], most: int = 10, chars: int = 80) -> str:
    """Names for an error message, bounded: the first ``most`` (each cut to ``chars``) and how many more.

    >>> listed(["a.txt", "b.txt"]), listed([f"{i}.txt" for i in range(12)], most=2)
    ('a.txt, b.txt', '0.txt, 1.txt and 10 more')
    """
    shown = ", ".join(n if len(n) <= chars else n[:chars] + "\u2026" for n in names[:most])
    return shown + (f" and {len(names) - most:,} more" if len(names) > most else "")
