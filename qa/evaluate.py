"""Evaluation: labelled questions in, quality and latency figures out.

Reads JSONL in either form:
  {"question", "all"|"any"|"min_of"|"none_of", "answerable", "history": [earlier questions]}
  {"question", "answers": [...], "impossible": bool}
and reports answer accuracy, refusal accuracy, false refusals, retrieval
recall@1/3/5 (the gold strings inside the top passages), citation validity,
the mean answer length in words and latency.
Leaves out: judging answers by meaning; a gold string must appear verbatim
(case-insensitive).
"""

from __future__ import annotations

import dataclasses
import json
import re
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .answer import Answer
from .conversation import Turn
from .engine import Engine
from .errors import QAError
from .spans import squad_words, words_f1

MOJIBAKE = re.compile(r"鈥|â€|Ã[\x80-\xbf]|\ufffd")


@dataclass
class Item:
    """One labelled question, in the one shape the rest of this module reads."""

    id: str
    question: str
    answerable: bool
    all: list[str] = field(default_factory=list)
    any: list[str] = field(default_factory=list)
    min_of: tuple[list[str], int] | None = None
    none_of: list[str] = field(default_factory=list)  # strings a right answer must not hold
    history: list[str] = field(default_factory=list)
    article: str | None = None  # the article the question is about, where the label says

    def gold_found(self, text: str) -> bool:
        """Whether ``text`` holds the answer the label asks for."""
        low = text.lower()
        if self.all and not all(s.lower() in low for s in self.all):
            return False
        if self.any and not any(s.lower() in low for s in self.any):
            return False
        if self.min_of and sum(s.lower() in low for s in self.min_of[0]) < self.min_of[1]:
            return False
        return bool(self.all or self.any or self.min_of)

    def holds_some(self, text: str) -> bool:
        """Whether ``text`` holds any one gold string (a sentence of a longer answer)."""
        low = text.lower()
        return any(s.lower() in low for s in self.all + self.any + (self.min_of[0] if self.min_of else []))

    def right_answer(self, text: str) -> bool:
        """Whether an answer holds the gold and none of what it must not say."""
        low = text.lower()
        return self.gold_found(text) and not any(s.lower() in low for s in self.none_of)


def span_scores(short: str | None, golds: list[str]) -> tuple[float, float]:
    """Exact match and token F1 (SQuAD's) of a short answer against the best gold string; 0, 0 without one."""
    if not short or not golds:
        return 0.0, 0.0
    said = squad_words(short)
    return max((float(said == wanted), words_f1(said, wanted)) for wanted in map(squad_words, golds))


# conv-dev's 2,432 questions with their histories take 0.74 MB; a file over 100 times that is no question set.
MAX_QUESTIONS_BYTES = 100_000_000


def read_items(path: Path) -> list[Item]:
    """Labelled questions from a JSONL file; ValueError naming the bad line."""
    items = []
    path = Path(path)
    try:
        if path.exists() and not path.is_file() and not path.is_dir():  # a device or pipe: it may never end
            raise QAError(f"{path} is not a file of labelled questions")
        if path.is_file() and path.stat().st_size > MAX_QUESTIONS_BYTES:
            raise QAError(f"{path} is over {MAX_QUESTIONS_BYTES // 1_000_000} MB: not a file of labelled questions")
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise QAError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError:
        raise QAError(f"{path} is not UTF-8 text: not a file of labelled questions") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            items.append(_item(raw, number))
        except (ValueError, KeyError, TypeError) as exc:
            raise QAError(f"{path}:{number}: not a labelled question ({exc})") from exc
    if not items:
        raise QAError(f"{path} holds no questions")
    return items


def _item(raw: dict[str, Any], number: int) -> Item:
    question = raw["question"]
    if not isinstance(question, str) or not question.strip():
        raise ValueError("empty question")
    if "answers" in raw or "impossible" in raw:
        impossible = bool(raw.get("impossible", False))
        answers = [str(a) for a in raw.get("answers") or []]
        return Item(str(raw.get("id", number)), question, not impossible and bool(answers), any=answers,
                    history=list(raw.get("history") or []), article=raw.get("article"))
    min_of = raw.get("min_of")
    return Item(
        id=str(raw.get("id", number)),
        question=question,
        answerable=bool(raw.get("answerable", True)),
        all=[str(s) for s in raw.get("all") or []],
        any=[str(s) for s in raw.get("any") or []],
        min_of=(list(min_of[0]), int(min_of[1])) if min_of else None,
        none_of=[str(s) for s in raw.get("none_of") or []],
        history=list(raw.get("history") or []),
        article=raw.get("article"),
    )


def citation_problems(answer: Answer, engine: Engine) -> list[str]:
    """What is wrong with an answer's citations: dangling markers, non-verbatim text."""
    problems = []
    numbers = {c.n for c in answer.citations}
    for marker in re.findall(r"\[(\d+)\]", answer.text):
        if int(marker) not in numbers:
            problems.append(f"[{marker}] has no citation")
    passages = {(p.article, p.start): p.text for p in engine.corpus.passages}
    for c in answer.citations:
        if passages.get((c.article, c.start)) != c.text:
            problems.append(f"[{c.n}] passage is not article text")
        if c.text[c.sentence_start:c.sentence_start + len(c.sentence)] != c.sentence:
            problems.append(f"[{c.n}] sentence is not in its passage")
    if MOJIBAKE.search(answer.text):
        problems.append("mojibake in the answer")
    return problems


def whole_conversations(items: list[Item]) -> list[Item]:
    """The items with each history reaching back to its conversation's first turn, as a chat keeps it.

    A labelled history often holds only the latest turns. An item whose
    history begins with the end of the previous item's (same article), that
    item's question included, continues that conversation; an item without
    a history, or one that does not overlap, starts a new one.
    """
    whole: list[Item] = []
    chain: list[str] = []
    article: str | None = None
    for item in items:
        history = list(item.history)
        if history and item.article == article:
            overlap = next((j for j in range(min(len(history), len(chain)), 0, -1) if history[:j] == chain[-j:]), 0)
            history = chain + history[overlap:] if overlap else history
        whole.append(dataclasses.replace(item, history=history))
        chain, article = history + [item.question], item.article
    return whole


def evaluate(engine: Engine, items: list[Item], k: int = 5, whole: bool = False) -> dict[str, Any]:
    """Run every question through ``engine`` and gather the figures and each result.

    Each item's earlier questions are asked in turn, each answer going with
    the next question as a turn (the latest that fit ``max_history_turns``,
    as the chat passes them); ``whole``: histories reach back to the
    conversation's start (``whole_conversations``).
    """
    rows = []
    latencies = []
    recall = {1: 0, 3: 0, 5: 0}
    retrievable = 0
    asked: dict[tuple[str, ...], Answer] = {}  # earlier turns, by the questions up to them: asked once
    for item in whole_conversations(items) if whole else items:
        history: list[Answer | Turn] = []
        for n, earlier in enumerate(item.history):
            key = tuple(item.history[:n + 1])
            if key not in asked:
                asked[key] = engine.ask(earlier, history=engine.recent_history(history))
            history.append(asked[key])
        history = engine.recent_history(history)
        start = time.perf_counter()
        answer = engine.ask(item.question, history=history)
        latencies.append((time.perf_counter() - start) * 1000)
        problems = citation_problems(answer, engine)
        if item.answerable:
            correct = answer.answered and item.right_answer(answer.text)
            passages = [p.text for p, _ in engine.search(item.question, history=history, k=max(recall))]
            retrievable += 1
            for depth in recall:
                recall[depth] += item.gold_found(" ".join(passages[:depth]))
        else:
            correct = not answer.answered
        short = answer.short.text if answer.answered and answer.short else None
        em, f1 = span_scores(short, item.any) if item.answerable and item.any else (None, None)
        rows.append({
            "id": item.id, "question": item.question, "answerable": item.answerable, "follow_up": bool(item.history),
            "on_story": (answer.citations[0].article == item.article) if item.article and answer.citations else None,
            "cited": answer.citations[0].article if answer.citations else None,  # the article answered from
            "correct": bool(correct), "answered": answer.answered, "answer": answer.text,
            "confidence": answer.confidence, "problems": problems, "searched": answer.searched,
            "words": answer_words(answer) if answer.answered else None,
            "short": short, "short_em": em, "short_f1": f1,
        })
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    # Of the answered follow-ups about a known article, those whose first citation is that article.
    followed = [r for r in answerable if r["follow_up"] and r["answered"] and r["on_story"] is not None]
    return {
        "questions": len(rows),
        "answer_accuracy": _share(sum(r["correct"] for r in answerable), len(answerable)),
        "refusal_accuracy": _share(sum(r["correct"] for r in unanswerable), len(unanswerable)),
        "false_refusals": sum(not r["answered"] for r in answerable),
        "false_refusal_rate": _share(sum(not r["answered"] for r in answerable), len(answerable)),
        "mean_answer_words": round(statistics.mean(lengths), 1) if (lengths := [r["words"] for r in rows
                                                                                  if r["words"] is not None]) else None,
        **{f"recall@{d}": _share(n, retrievable) for d, n in recall.items()},
        "citation_validity": _share(sum(not r["problems"] for r in rows), len(rows)),
        "follow_ups_on_story": _share(sum(r["on_story"] for r in followed), len(followed)),
        "right_when_on_story": _share(sum(r["correct"] for r in followed if r["on_story"]),
                                      sum(bool(r["on_story"]) for r in followed)),
        # SQuAD's exact match and F1 of the short answers, over answerable questions with gold strings
        # (one without a short answer scores 0), and the share given one.
        **_short_figures([r for r in answerable if r["short_f1"] is not None]),
        "latency_ms_median": round(statistics.median(latencies), 1),
        "latency_ms_p95": round(_percentile(latencies, 95), 1),
        "results": rows,
    }


def _short_figures(rows: list[dict[str, Any]]) -> dict[str, float | None]:
    return {"short_exact_match": _share(sum(r["short_em"] for r in rows), len(rows)),
            "short_f1": _share(sum(r["short_f1"] for r in rows), len(rows)),
            "short_coverage": _share(sum(r["short"] is not None for r in rows), len(rows))}


def answer_words(answer: Answer) -> int:
    """Words of an answer's text, its ``[n]`` markers left out."""
    return len(re.sub(r"\[\d+\]", " ", answer.text).split())


def _share(n: int, total: int) -> float | None:
    return round(n / total, 3) if total else None


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def format_report(report: dict[str, Any]) -> str:
    """The figures as a short table, then each question that went wrong."""
    def pct(v):
        return "n/a" if v is None else f"{v * 100:.0f}%"

    lines = [
        f"questions            {report['questions']}",
        f"answer accuracy      {pct(report['answer_accuracy'])}",
        f"refusal accuracy     {pct(report['refusal_accuracy'])}",
        f"false refusals       {report['false_refusals']} ({pct(report['false_refusal_rate'])} of answerable)",
        f"retrieval recall@1/3/5  {pct(report['recall@1'])} / {pct(report['recall@3'])} / {pct(report['recall@5'])}",
        f"citation validity    {pct(report['citation_validity'])}",
        *([f"follow-ups on story  {pct(report['follow_ups_on_story'])} of those answered "
           f"(right {pct(report['right_when_on_story'])} of those)"] if report["follow_ups_on_story"] is not None
          else []),
        *([f"short answers        exact {pct(report['short_exact_match'])}, F1 {pct(report['short_f1'])}, "
           f"given for {pct(report['short_coverage'])}"] if report.get("short_f1") is not None else []),
        f"mean answer words    {report['mean_answer_words']}",
        f"latency median/p95   {report['latency_ms_median']} / {report['latency_ms_p95']} ms",
    ]
    wrong = [r for r in report["results"] if not r["correct"] or r["problems"]]
    if wrong:
        lines.append("")
        lines.append("missed:")
        for r in wrong:
            why = "; ".join(r["problems"]) or ("refused" if not r["answered"] else "wrong answer")
            shown = r["question"] if len(r["question"]) <= 120 else r["question"][:117] + "..."
            lines.append(f"  {r['id']}: {shown} -> {why} (confidence {r['confidence']})")
    return "\n".join(lines)
