"""About 100 varied questions for a benchmark corpus.

The labelled dev and calibration questions (``tests/data/*.jsonl``) plus
questions written from templates over the names a generated corpus really
uses (its swapped-in people, cities and countries), so BM25 sees rare and
common terms, and some questions name things no article mentions. Leaves
out: the shared evaluation sets (those measure answers, not speed).
"""

from __future__ import annotations

import json
import random

from qa.config import PROJECT_DIR

LABELLED = [PROJECT_DIR / "tests" / "data" / "seed_dev.jsonl", PROJECT_DIR / "tests" / "data" / "seed_calibration.jsonl"]

TEMPLATES = [
    "What did {person} write on X?",
    "Who is {person}?",
    "What did {person} say about the talks in {city}?",
    "Where did {person} meet the delegations?",
    "Which country hosted the talks in {city}?",
    "What happened in {city} on {day} night?",
    "How many people were killed in {city}?",
    "When will the talks continue in {city}?",
    "What are {country}'s goals in the negotiations?",
    "Who leads the coalition with {country}?",
    "How many countries joined the coalition led by {country}?",
    "What did {person} tell {person2} by phone?",
    "Did {person} speak with {person2}?",
    "Why are the talks in {city} important for {country}?",
    "What security guarantees does {country} want?",
    "Who reported from {city}?",
    "What is the role of {person} in the talks?",
    "What did the statement say about {country}?",
    "Is {person} from {city}?",
    "What does {country} demand for a ceasefire?",
]
# Things no generated article mentions: the refusal path must be timed too.
ABSENT = [
    "What is the capital of Peru?",
    "How old is the Pope?",
    "What did the quarterback say after the Super Bowl?",
    "Which bitcoin exchange collapsed?",
    "Who won the Eurovision song contest?",
]


def labelled_questions() -> list[str]:
    out = []
    for path in LABELLED:
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    out.append(json.loads(line)["question"])
    return out


def make_questions(mappings: list[dict[str, str]], count: int = 100, seed: int = 0) -> list[str]:
    """``count`` distinct questions: labelled ones first, then templated and absent ones."""
    rng = random.Random(seed)
    labelled = labelled_questions()
    out = list(dict.fromkeys(labelled))[: count - len(ABSENT) - 20]
    out += ABSENT
    people = ("Rubio", "Witkoff", "Kellogg", "Yermak", "Polyakova", "Lavrov", "Lammy", "Sybiha")
    attempts = 0
    while len(out) < count and attempts < count * 50:
        attempts += 1
        m = rng.choice(mappings) if mappings else {}
        p1, p2 = rng.sample(people, 2)
        question = rng.choice(TEMPLATES).format(
            person=m.get(p1, p1), person2=m.get(p2, p2), city=m.get(rng.choice(("Paris", "London", "Kyiv", "Dnipro")), "Paris"),
            country=m.get(rng.choice(("Ukraine", "Russia", "France", "Britain")), "Ukraine"),
            day=m.get("Wednesday", "Wednesday"),
        )
        if question not in out:
            out.append(question)
    return out[:count]
