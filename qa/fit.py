"""Fitting: answering's weights learned from labelled questions, with articles held apart.

    python -m qa fit [--data ARTICLES QUESTIONS ...] [--out FILE]

Every labelled question is asked of a corpus that holds its article (an
answerable example) and, for the answerability model, of the same corpus with
that article left out (an unanswerable one: the question is then about an
article the corpus lacks, as a user's off-topic question is). Then:

1. fusion: the dense/BM25 mix that most often puts the gold passage among the
   passages retrieval hands to sentence scoring;
2. sentences: a conditional logit (softmax over each question's candidate
   sentences) whose positives are the sentences holding a gold string;
3. answerability: a logistic regression, answerable against unanswerable;
4. the threshold: the highest that keeps false refusals within target;
5. the share of the answer (softmax of the scores) a further sentence needs to
   join it: the most accurate whose answers stay within the length budget; and
   how far below the best a sentence naming people may score and join a list.

Every figure in the report is held apart: each article's questions are scored
by weights fitted without it. The weights written are then fitted on all.
Leaves out: reading the weights at answer time (``weights.py``).
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import logging
import re
import statistics
import sys
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from embeddings.files import atomic_write

from .answer import Answer, asked_of, compose, proposals_of
from .articles import article_files
from .config import PROJECT_DIR, Settings, add_arguments, from_arguments
from .conversation import Focus
from .engine import Engine, load_model
from .evaluate import Item, read_items, span_scores
from .features import ANSWERABILITY_TERMS, SENTENCE_FEATURES, SPAN_FEATURES, NounShape
from .question import Question
from .retrieve import Hit, Leaning, fuse, with_focus
from .scoring import answerability_features, answerability_terms, rank, sentence_features, sure_of
from .spans import Proposal, asked_noun, best, given, noun_key, shape_features, span_shape
from .weights import FORMAT, Weights, WeightsError, file_for, read_weights, sealed

log = logging.getLogger(__name__)

SHARED = PROJECT_DIR.parent / "shared" / "eval" / "public-dev"
CONVERSATIONS = PROJECT_DIR.parent / "shared" / "eval" / "conv-dev"
NEWS = (PROJECT_DIR / "seeds", PROJECT_DIR / "tests" / "data" / "articles")
# (articles, questions) fitted on by default: the public SQuAD set (as asked
# and as people type it), and our own questions about the seed and the test
# articles, asked of the four news articles together.
DEFAULT_DATA = (
    ((SHARED / "articles",), SHARED / "questions.jsonl"),
    ((SHARED / "articles",), SHARED / "questions_noisy.jsonl"),
    (NEWS, PROJECT_DIR / "tests" / "data" / "seed_calibration.jsonl"),
    (NEWS, PROJECT_DIR / "tests" / "data" / "seed_fit.jsonl"),
    (NEWS, PROJECT_DIR / "tests" / "data" / "articles_questions.jsonl"),
    ((CONVERSATIONS / "articles",), CONVERSATIONS / "questions.jsonl"),
)
# Targets the threshold is chosen for (on held-apart questions): the issue's
# limits are 1% (as asked) and 2% (as typed); a margin below them. Questions refused whatever the
# threshold (``Question.gated``) count within them: when first questions asking only about words no
# article holds joined them (0.24% of public-dev), a clean target of 0.0075 moved the threshold from
# 0.0675 to 0.0525 and off-corpus refusal from 0.858 to 0.833 (as typed 0.792 to 0.742); 0.009 keeps
# the margin under 1% (2026-12-05).
FALSE_REFUSALS = {"clean": 0.009, "noisy": 0.015, "conversations": 0.015}
# The mean answer may grow by a tenth over public-dev's 50 words (the conversation issue's limit): gains
# must come from choosing better, not saying more.
MAX_MEAN_WORDS = 55.0
L2 = 1e-3
# The answerability model's pull to zero, as examples' worth: its L2 is this over the examples it is fitted
# on, so that its 170 terms (``features.ANSWERABILITY_TERMS``) are pulled as hard as a small set warrants
# (a test's 80 questions fitted with L2 alone refused no question at any threshold, held apart) while the
# default data's ~12,000 examples get L2 (about 0.001; 0.01 gave back half the products' gain, 2026-12-06).
ANSWERABILITY_PRIOR = 12.0
# How much a question about an article not in the corpus counts in the
# answerability fit, against one asked of the corpus without its own article.
# Those are 120 per set against 2,091, and the harder kind (Methodism asked of
# the Luther article). Counted once, the weights refused 0.875 of public-dev's
# off-corpus questions (0.842 as typed); counted 3 times, 0.908 (0.883), and
# held apart by absent article 0.883 (0.858), with false refusals unchanged
# (0.62% held apart); 10 times did no better in a sweep (2026-11-26).
OFF_CORPUS_WEIGHT = 3.0
# Held apart by folds of articles: each fold's questions are scored by weights fitted on the others. A set
# of at most this many articles leaves each out of its corpus in turn; a larger one (conv-dev's 200
# stories) leaves out a fold of them at a time.
FOLDS = 10
LEAVE_ONE_OUT = 12
# Gold removed (on-topic unanswerables): a question's answer is cut out of its article, every sentence
# holding a gold string, and the question asked of the corpus holding the cut article. A cut takes at
# most this share of an article's sentences (questions whose gold is everywhere are not cut), and the
# questions of one article are cut in rounds, each round's corpus cutting one batch of every article.
CUT_SHARE = 0.2
CUT_ROUNDS = 6
# Which sets' unanswerable examples answerability learns refusal from. Not the conversations': their
# turns ("what was in his hand", "for what?") read alike whether or not the corpus holds the story, so
# learning to refuse them moved the threshold under their false-refusal target instead: with them
# (even weighted 0.3) public-dev's off-corpus refusal fell from 0.87 to 0.51 held apart, its gold-removed
# refusal from 0.28 to 0.17; without them the conversations kept 1.2% false refusals (2026-12-04).
LEARN_REFUSAL_FROM = {"clean": True, "noisy": True, "conversations": False}
GRID = [round(x, 2) for x in np.arange(0.0, 1.001, 0.05)]
SHARES = [0.05, 0.075, 0.1, 0.125, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 1.0]
MARGINS = [0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0]
# The focus margins tried (``choose_focus_margin``). The conditional logit gives the focus its likeliest
# weight, not the one that answers most follow-ups right: on conv-dev, 3 more for the latest answer's article
# took answers right from 0.672 to 0.679 (whole conversations 0.740 to 0.748, on their story 0.897 to 0.911).
FOCUS_MARGINS = [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0]


@dataclass
class Example:
    """One labelled question asked of one corpus, with what retrieval proposed."""

    item: Item
    group: str  # the article it is about: held apart together
    answerable: bool  # whether this corpus holds that article
    source: str  # the questions file's name (without .jsonl)
    engine: Engine
    q: Question
    vector: np.ndarray
    hits: list[Hit]
    focus: Focus
    leaning: Leaning
    fold: int = 0  # held apart in this fold (``assign_folds``)
    rows: list = None  # type: ignore[assignment]
    matrix: np.ndarray | None = None
    positive: np.ndarray | None = None


# ---------------------------------------------------------------- data


def collect(data: Sequence[tuple[Sequence[Path], Path]], settings: Settings, blank: Weights,
            progress: Callable[[str], None]) -> list[Example]:
    """Every question, asked of its full corpus, of the corpus without its article, and with its gold cut out.

    A conversation's earlier turns are answered in each corpus by the
    weights fitted before (``start_weights``), so that its focus is what
    answering would have.
    """
    embedder = load_model(settings)
    answering = start_weights(settings, blank)
    engines: dict[tuple, Engine] = {}

    def engine(sources: Sequence[Path], leave_out: frozenset[str] = frozenset(),
               cut: tuple[tuple[str, str], ...] = ()) -> Engine:
        key = (tuple(sources), leave_out, cut)
        if key not in engines:
            donor = engines.get((tuple(sources), frozenset(), ()))
            engines[key] = _engine(sources, leave_out, dict(cut), settings, embedder, answering, donor)
        return engines[key]

    examples: list[Example] = []
    for sources, questions in data:
        if not questions.exists() or not all(p.exists() for p in sources):
            progress(f"skipped {questions}: not found")
            continue
        items = read_items(questions)
        raws = [json.loads(line) for line in questions.read_text(encoding="utf-8").splitlines() if line.strip()]
        full = engine(sources)
        source = f"{questions.parent.name}/{questions.stem}"  # conv-dev and public-dev both have questions.jsonl
        names = sorted(a.name for a in full.articles)
        progress(f"{questions.name}: {len(items)} questions on {len(names)} article(s)")
        about: list[str | None] = []
        for item, raw in zip(items, raws):
            article = raw.get("article") or (_guess_article(item, full) if item.answerable else _absent_article(raw))
            about.append(article)
            group = f"{sources[0].name}/{article or 'unanswerable'}"
            examples.append(_example(item, group, item.answerable, source, full))
            if item.answerable and article in names and len(names) > 1:
                out = frozenset([article]) if len(names) <= LEAVE_ONE_OUT else frozenset(
                    n for n in names if fold_of(f"{sources[0].name}/{n}") == fold_of(group))
                examples.append(_example(item, group, False, source, engine(sources, out)))
        rounds = cut_rounds(items, about, full)
        progress(f"{questions.name}: {sum(len(r) for r in rounds.values())} questions with their gold cut out, "
                 f"in {len(rounds)} corpora")
        for cut, batch in rounds.items():
            cut_engine = engine(sources, frozenset(), cut)
            for item, article in batch:
                examples.append(_example(item, f"{sources[0].name}/{article}", False, f"{source}_cut", cut_engine))
    return examples


def start_weights(settings: Settings, blank: Weights) -> Weights:
    """The weights a refit answers conversations' earlier turns with: the model's current file, read by
    feature name (features it lacks weigh 0), else ``blank``."""
    try:
        return read_weights(file_for(settings.model), lenient=True)
    except (WeightsError, KeyError, OSError):
        return blank


def fold_of(group: str) -> int:
    """Which fold of a large set's articles leaves ``group``'s out of its corpus: a stable hash of its name."""
    return int(hashlib.sha1(group.encode()).hexdigest(), 16) % FOLDS


def assign_folds(examples: Sequence[Example]) -> None:
    """Each example's fold for fitting held apart: its group's (article's), the groups dealt round in name
    order, so that every fold holds some and no fold holds all."""
    groups = sorted({e.group for e in examples})
    folds = {g: i % FOLDS for i, g in enumerate(groups)}
    for e in examples:
        e.fold = folds[e.group]


def cut_rounds(items: Sequence[Item], about: Sequence[str | None], full: Engine
               ) -> dict[tuple[tuple[str, str], ...], list[tuple[Item, str]]]:
    """Corpora with answers cut out: (article, cut text) pairs -> the questions each one leaves unanswerable.

    Round r cuts the r-th batch of every article's questions: the sentences
    that hold their gold strings, every one of them, so that no gold string
    is left anywhere in the article (a question whose gold the cut can't
    remove within ``CUT_SHARE`` of the article is left out).
    """
    by_article: dict[str, list[Item]] = {}
    for item, article in zip(items, about):
        if item.answerable and article in full.corpus.files:
            by_article.setdefault(article, []).append(item)
    batches: dict[str, list[tuple[list[Item], str]]] = {}
    for article, asked in sorted(by_article.items()):
        path = full.corpus.files[article]
        try:
            raw = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        sentences = [p.text[a:b] for p in full.corpus.passages if p.article == article for a, b in p.sentences]
        limit = max(1, int(CUT_SHARE * len(sentences)))
        out: list[tuple[list[Item], str]] = []
        batch: list[Item] = []
        removed: set[str] = set()
        for item in asked:
            holding = {s for s in sentences if item.holds_some(s)}
            if not holding or len(holding) > limit:
                continue
            if len(removed | holding) > limit:
                if batch:
                    out.append((batch, _cut(raw, removed)))
                batch, removed = [], set()
                if len(out) == CUT_ROUNDS:
                    break
            text = _cut(raw, removed | holding)
            if item.holds_some(text) or not all(s in raw for s in holding):
                continue  # the gold is also where no sentence of it was cut (a header, a sentence split otherwise)
            batch.append(item)
            removed |= holding
        if batch and len(out) < CUT_ROUNDS:
            out.append((batch, _cut(raw, removed)))
        batches[article] = out
    rounds: dict[tuple[tuple[str, str], ...], list[tuple[Item, str]]] = {}
    for r in range(CUT_ROUNDS):
        cut = tuple((a, b[r][1]) for a, b in sorted(batches.items()) if len(b) > r)
        if cut:
            rounds[cut] = [(item, a) for a, b in sorted(batches.items()) if len(b) > r for item in b[r][0]]
    return rounds


def _cut(text: str, sentences: set[str]) -> str:
    for sentence in sorted(sentences, key=len, reverse=True):
        text = text.replace(sentence, "")
    return text


def _absent_article(raw: dict) -> str | None:
    """The article an off-corpus question is about, where its label says (public-dev: "from the article X").

    Held apart by that article, the questions about one absent article are
    scored by weights that learned refusal from the other's.

    >>> _absent_article({"reason": "not in corpus: from the article United_Methodist_Church"})
    'absent:United_Methodist_Church'
    """
    found = re.search(r"from the article (\S+)", str(raw.get("reason") or ""))
    return f"absent:{found.group(1)}" if found else None


def _guess_article(item: Item, engine: Engine) -> str:
    """The article a label's gold strings come from (for sets that do not say): where retrieval finds them."""
    for passage, _ in engine.search(item.question):
        if item.gold_found(passage.text):
            return passage.article
    for passage in engine.corpus.passages:
        if item.gold_found(passage.text):
            return passage.article
    return "unknown"


def _engine(sources: Sequence[Path], leave_out: frozenset[str], cut: dict[str, str], settings: Settings,
            embedder, weights: Weights, donor: Engine | None) -> Engine:
    """An engine over the articles of ``sources`` but ``leave_out``, with ``cut`` (name -> text) in place of
    those articles, through a cached folder of links; the vectors of articles ``donor`` holds are reused."""
    files = [f for source in sources for f in article_files(source) if f.name not in leave_out]
    if len(sources) == 1 and not leave_out and not cut:
        return Engine(replace(settings, articles=sources[0]), embedder=embedder, weights=weights)
    listing = "\n".join(str(f.resolve()) for f in files) + "".join(f"\n{n}\n{t}" for n, t in sorted(cut.items()))
    key = hashlib.sha1(listing.encode()).hexdigest()[:10]
    folder = Path(settings.cache_dir) / "fit" / f"articles-{key}"
    folder.mkdir(parents=True, exist_ok=True)
    for path in files:
        target = folder / path.name
        if path.name in cut:
            if not target.is_file() or target.read_text(encoding="utf-8") != cut[path.name]:
                target.write_text(cut[path.name], encoding="utf-8")
        elif not target.exists():
            target.symlink_to(path.resolve())
    return Engine(replace(settings, articles=folder), embedder=embedder, weights=weights, donor=donor)


def _example(item: Item, group: str, answerable: bool, source: str, engine: Engine) -> Example:
    history: list[Answer] = []
    for earlier in item.history:
        history.append(engine.ask(earlier, history=history))
    seen = engine.examine(item.question, history)
    return Example(item, group, answerable, source, engine, seen.q, seen.vector, seen.hits, seen.focus, seen.leaning)


# ---------------------------------------------------------------- fitting


def fit_fusion(examples: Sequence[Example], candidates: int) -> float:
    """The dense weight (lexical = 1 - it) that most often keeps a gold passage among the candidates."""
    usable = [e for e in examples if e.answerable]

    def recall(weight: float) -> tuple[float, float]:
        at_n = at_1 = 0
        for e in usable:
            top = fuse(e.hits, weight, 1 - weight, candidates)
            found = [e.item.holds_some(e.engine.corpus.passages[h.row].text) for h in top]
            at_n += any(found)
            at_1 += bool(found and found[0])
        return at_n / len(usable), at_1 / len(usable)

    return max(GRID, key=lambda w: recall(w))


def featurise(examples: Sequence[Example], dense_weight: float, candidates: int, focus_candidates: int) -> None:
    """Each example's candidate sentences and their features, as answering will see them."""
    for e in examples:
        ranked = fuse(e.hits, dense_weight, 1 - dense_weight)
        also = e.engine.focus_rows(e.focus, e.leaning)
        top = with_focus(ranked, candidates, frozenset(also.tolist()) if also is not None else frozenset(),
                         focus_candidates)
        e.rows, e.matrix = sentence_features(e.q, e.engine.retrieved(e.vector, top, e.focus, e.leaning))
        e.positive = np.array([_on_story(e.item, p) and e.item.holds_some(p.text[p.sentences[i][0]:p.sentences[i][1]])
                               for _, p, i in e.rows], dtype=bool)


def _on_story(item: Item, passage) -> bool:
    """Whether a sentence of ``passage`` may be a gold one: of the question's own article, where the label names it.

    A short gold ("three", "Euchre's") is found in other stories too; counted there, the fit learnt that a
    follow-up may leave its story for any sentence holding the words of its answer.
    """
    return item.article is None or passage.article == item.article


def _sentence_blocks(examples: Sequence[Example]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each usable question's candidate features and which of them hold a gold string."""
    return [(e.matrix, e.positive) for e in examples
            if e.answerable and e.positive is not None and e.positive.any() and not e.positive.all()]


def fit_sentences(examples: Sequence[Example]) -> np.ndarray:
    """Conditional-logit weights: each question's gold sentences should take the softmax."""
    blocks = _sentence_blocks(examples)
    x = np.vstack([m for m, _ in blocks])
    mean, std = x.mean(0), x.std(0) + 1e-9
    z = (x - mean) / std
    pos = np.concatenate([p for _, p in blocks])
    starts = np.cumsum([0] + [len(m) for m, _ in blocks[:-1]])
    block = np.repeat(np.arange(len(blocks)), [len(m) for m, _ in blocks])

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        s = z @ w
        top = np.maximum.reduceat(s, starts)[block]
        e_all = np.exp(s - top)
        e_pos = e_all * pos
        sum_all = np.add.reduceat(e_all, starts)
        sum_pos = np.add.reduceat(e_pos, starts)
        value = float(np.sum(np.log(sum_all) - np.log(sum_pos))) / len(blocks) + L2 * float(w @ w)
        p_all = e_all / sum_all[block]
        p_pos = e_pos / sum_pos[block]
        grad = ((p_all - p_pos) @ z) / len(blocks) + 2 * L2 * w
        return value, grad

    w = _minimise(loss, z.shape[1])
    return w / std


def fit_logistic(x: np.ndarray, y: np.ndarray, weight: np.ndarray | None = None, l2: float = L2
                 ) -> tuple[np.ndarray, float]:
    """Logistic-regression weights and bias, the two classes weighted equally (each example by ``weight``),
    pulled to zero by ``l2``."""
    mean, std = x.mean(0), x.std(0) + 1e-9
    z = np.hstack([(x - mean) / std, np.ones((len(x), 1))])
    weight = np.ones(len(y)) if weight is None else weight
    balance = weight * np.where(y, 0.5 / max(1e-9, weight[y].sum()), 0.5 / max(1e-9, weight[~y].sum()))

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        s = z @ w
        p = 1 / (1 + np.exp(-s))
        eps = 1e-12
        value = -float(np.sum(balance * (y * np.log(p + eps) + (~y) * np.log(1 - p + eps)))) + l2 * float(w[:-1] @ w[:-1])
        grad = z.T @ (balance * (p - y)) + 2 * l2 * np.append(w[:-1], 0.0)
        return value, grad

    w = _minimise(loss, z.shape[1])
    weights = w[:-1] / std
    return weights, float(w[-1] - weights @ mean)


def _minimise(loss, size: int) -> np.ndarray:
    from scipy.optimize import minimize

    result = minimize(loss, np.zeros(size), jac=True, method="L-BFGS-B", options={"maxiter": 2000})
    return result.x


# ---------------------------------------------------------------- held apart


@dataclass
class Scored:
    """An example answered with some weights: what answering would say."""

    example: Example
    sure: float
    answer: Answer


def _weights(base: Weights, **changes) -> Weights:
    return replace(base, **changes)


def answer_all(examples: Sequence[Example], weights: Weights, k: int, threshold: float,
               limit: int = 3, list_limit: int = 4) -> list[Scored]:
    """Every example answered with ``weights`` (its own sentence and answerability weights)."""
    out = []
    for e in examples:
        candidates = rank(e.rows, e.matrix, weights, k)
        vocabulary = e.engine.retriever.vocabulary
        if candidates:
            sure = sure_of(answerability_features(e.q, candidates, vocabulary, weights), weights)
        else:
            sure = 0.0
        out.append(Scored(e, sure, compose(e.q, candidates, sure, threshold, weights, limit, list_limit,
                                           vocabulary.rarity)))
    return out


def held_apart(examples: Sequence[Example], base: Weights, k: int) -> dict[int, Weights]:
    """For each fold of groups (``assign_folds``), weights fitted without it (sentence and answerability models)."""
    out = {}
    for fold in sorted({e.fold for e in examples}):
        train = [e for e in examples if e.fold != fold]
        out[fold] = fit_models(train, base, k)
    return out


def fit_models(examples: Sequence[Example], base: Weights, k: int) -> Weights:
    """Sentence weights, then answerability weights, fitted on ``examples``."""
    weights = _weights(base, sentence=fit_sentences(examples))
    x, y, w = _answerability_data(examples, weights, k)
    answerable, bias = fit_logistic(x, y, w, ANSWERABILITY_PRIOR / max(1, len(y)))
    return _weights(weights, answerable=answerable, answerable_bias=bias)


def _answerability_data(examples: Sequence[Example], weights: Weights, k: int
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Answerability features of each example under ``weights``' sentence ranking, its label, its weight."""
    x, y, w = [], [], []
    for e in examples:
        if not e.answerable and not LEARN_REFUSAL_FROM[_kind_of_set(e.source)]:
            continue
        candidates = rank(e.rows, e.matrix, weights, k)
        if candidates:
            x.append(answerability_terms(answerability_features(e.q, candidates, e.engine.retriever.vocabulary,
                                                                weights)))
            y.append(e.answerable)
            w.append(OFF_CORPUS_WEIGHT if not e.item.answerable else 1.0)
    return np.array(x), np.array(y, dtype=bool), np.array(w)


def per_sd(names: Sequence[str], weights: np.ndarray, x: np.ndarray) -> dict[str, float]:
    """What each feature contributes: the score change of one standard deviation of it in the fitting data
    (weight x spread), largest first; features on different scales compare only this way."""
    effect = np.asarray(weights) * x.std(0)
    order = np.argsort(-np.abs(effect), kind="stable")
    return {names[i]: round(float(effect[i]), 3) for i in order}


def cross_answers(examples: Sequence[Example], per_group: dict[int, Weights], k: int, threshold: float | None,
                  keep: float, list_keep: float, focus_margin: float = 0.0) -> list[Scored]:
    """Each example answered by the weights fitted without its group's fold."""
    out: list[Scored] = []
    for fold, weights in per_group.items():
        mine = [e for e in examples if e.fold == fold]
        w = _weights(weights, keep_share=keep, list_margin=list_keep, focus_margin=focus_margin)
        out += answer_all(mine, w, k, w.threshold if threshold is None else threshold)
    return out


def figures(scored: Sequence[Scored]) -> dict[str, float | int | None]:
    """Answer accuracy, false refusals, refusal of the unanswerable, answer length."""
    def share(n: int, total: int) -> float | None:
        return round(n / total, 4) if total else None

    ans = [s for s in scored if s.example.answerable]
    una = [s for s in scored if not s.example.answerable]
    off = [s for s in una if not s.example.item.answerable]
    right = sum(s.answer.answered and s.example.item.right_answer(s.answer.text) for s in ans)
    lengths = [len(_words(s.answer.text)) for s in scored if s.answer.answered]
    return {
        "answerable": len(ans),
        "answer_accuracy": share(right, len(ans)),
        "false_refusals": share(sum(not s.answer.answered for s in ans), len(ans)),
        "unanswerable": len(una),
        "refused": share(sum(not s.answer.answered for s in una), len(una)),
        "off_corpus": len(off),  # of them, questions about an article no corpus here holds
        "off_corpus_refused": share(sum(not s.answer.answered for s in off), len(off)),
        "mean_words": round(statistics.mean(lengths), 1) if lengths else None,
    }


def _words(text: str) -> list[str]:
    return re.sub(r"\[\d+\]", " ", text).split()


def choose_threshold(scored: Sequence[Scored]) -> float:
    """The highest threshold whose false refusals stay within target on clean and noisy questions.

    Questions naming something absent (``Question.gated``) are refused whatever the threshold; the
    target then bounds what the threshold adds to them.
    """
    limits = []
    for kind, target in FALSE_REFUSALS.items():
        ans = [s for s in scored if s.example.answerable and _kind_of_set(s.example.source) == kind]
        if ans:
            gated = sum(s.example.q.gated for s in ans) / len(ans)
            limits.append((ans, max(target, gated + 0.0025)))
    best = 0.0
    for t in np.arange(0.0, 1.0, 0.0025):
        if any(sum(s.example.q.gated or s.sure < t for s in ans) / len(ans) > limit for ans, limit in limits):
            break
        best = float(t)
    return round(best, 4)


def _kind_of_set(source: str) -> str:
    """Which false-refusal target a questions file answers to (``FALSE_REFUSALS``)."""
    if "noisy" in source:
        return "noisy"
    return "conversations" if source.startswith(CONVERSATIONS.name) else "clean"


def choose_share(examples: Sequence[Example], per_group: dict[int, Weights], k: int, threshold: float) -> float:
    """The share a further sentence needs: the most right answers within the length budget."""
    subset = [e for e in examples if e.answerable and not (e.q.is_list and e.q.kind == "person")]
    best, best_key = SHARES[-1], (-1.0, 0.0)
    for share in SHARES:
        fig = figures(cross_answers(subset, per_group, k, threshold, share, 1.0))
        if (fig["mean_words"] or 0) > MAX_MEAN_WORDS:
            continue
        key = (fig["answer_accuracy"] or 0.0, share)
        if key > best_key:
            best, best_key = share, key
    return best


def choose_list_margin(examples: Sequence[Example], per_group: dict[int, Weights], k: int, threshold: float,
                       share: float) -> float:
    """How far below the best a sentence naming people may score and join a list: the most right lists."""
    subset = [e for e in examples if e.answerable and e.q.is_list and e.q.kind == "person"]
    if not subset:
        return 1.0
    best, best_key = MARGINS[0], (-1.0, 0.0)
    for margin in MARGINS:
        fig = figures(cross_answers(subset, per_group, k, threshold, share, margin))
        key = (fig["answer_accuracy"] or 0.0, -margin)
        if key > best_key:
            best, best_key = margin, key
    return best


def choose_focus_margin(examples: Sequence[Example], per_group: dict[int, Weights], k: int, threshold: float,
                        share: float, list_keep: float) -> float:
    """How much more a sentence of the latest answer's article scores: the most right follow-ups, held apart."""
    subset = [e for e in examples if e.answerable and e.focus.latest]
    if not subset:
        return 0.0
    best, best_key = FOCUS_MARGINS[0], (-1.0, 0.0)
    for margin in FOCUS_MARGINS:
        fig = figures(cross_answers(subset, per_group, k, threshold, share, list_keep, margin))
        key = (fig["answer_accuracy"] or 0.0, -margin)
        if key > best_key:
            best, best_key = margin, key
    return best


# ---------------------------------------------------------------- the command


def fit(data: Sequence[tuple[Sequence[Path], Path]], settings: Settings, out: Path, progress: Callable[[str], None]) -> dict:
    """Fit every weight, report them held apart, write the weights file; returns its content."""
    blank = Weights(model=settings.model, dense_weight=0.3, lexical_weight=0.7,
                    sentence=np.zeros(len(SENTENCE_FEATURES)), answerable=np.zeros(len(ANSWERABILITY_TERMS)),
                    answerable_bias=0.0, threshold=0.5, keep_share=0.2, list_margin=1.0)
    examples = collect(data, settings, blank, progress)
    assign_folds(examples)
    k, n = settings.top_k, settings.candidates
    dense = fit_fusion(examples, n)
    progress(f"fusion: dense {dense:.2f}, lexical {1 - dense:.2f}")
    featurise(examples, dense, n, settings.focus_candidates)
    blank = replace(blank, dense_weight=dense, lexical_weight=round(1 - dense, 2))
    progress("fitting with each article held apart")
    per_group = held_apart(examples, blank, k)
    first = cross_answers(examples, per_group, k, 0.0, 0.2, 1.0)
    threshold = choose_threshold(first)
    per_group = {g: _weights(w, threshold=threshold) for g, w in per_group.items()}
    keep = choose_share(examples, per_group, k, threshold)
    list_keep = choose_list_margin(examples, per_group, k, threshold, keep)
    focus_margin = choose_focus_margin(examples, per_group, k, threshold, keep, list_keep)
    progress(f"threshold {threshold}, keep share {keep}, list margin {list_keep}, focus margin {focus_margin}")
    final = fit_models(examples, replace(blank, focus_margin=focus_margin), k)
    scored = cross_answers(examples, per_group, k, threshold, keep, list_keep, focus_margin)
    report = _report(scored)
    spans = span_data(scored)
    per_fold = {fold: fit_spans([d for d in spans if d[0].fold != fold]) for fold in {d[0].fold for d in spans}}
    span_weights, span_kinds, span_nouns = fit_spans(spans)
    progress(f"short answers held apart: {span_figures(spans, per_fold)}")
    content = {
        "format": FORMAT,
        "model": settings.model,
        "fitted": datetime.date.today().isoformat(),
        "command": "python -m qa fit" + (f" --model {settings.model}" if settings.model != Settings().model else ""),
        "data": [" + ".join(_short(p) for p in (*sources, questions)) for sources, questions in data
                 if questions.exists()],
        "fusion": {"dense": dense, "lexical": round(1 - dense, 2)},
        "sentence": {"features": list(SENTENCE_FEATURES), "weights": _round(final.sentence)},
        "answerable": {"features": list(ANSWERABILITY_TERMS), "weights": _round(final.answerable),
                       "bias": round(final.answerable_bias, 4), "threshold": threshold},
        "choose": {"keep_share": keep, "list_margin": list_keep, "focus_margin": focus_margin},
        "span": {"features": list(SPAN_FEATURES), "weights": _round(span_weights),
                 "kinds": {kind: _round(w) for kind, w in sorted(span_kinds.items())},
                 "nouns": {noun: list(shape) for noun, shape in span_nouns.items()},
                 "held_apart": span_figures(spans, per_fold)},
        "per_sd": {  # what each feature contributed
            "sentence": per_sd(SENTENCE_FEATURES, final.sentence,
                               np.vstack([m for m, _ in _sentence_blocks(examples)])),
            "answerable": per_sd(ANSWERABILITY_TERMS, final.answerable,
                                 _answerability_data(examples, final, k)[0]),
        },
        "held_apart": report,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    content = sealed(content)
    atomic_write(out, lambda tmp: Path(tmp).write_text(json.dumps(content, indent=1) + "\n", encoding="utf-8"))
    return content


# ---------------------------------------------------------------- short answers

SpanData = tuple[Example, str, list[Proposal], np.ndarray, list[str]]


def span_data(scored: Sequence[Scored]) -> list[SpanData]:
    """For each answered question that asks for a thing and has gold strings: the kind of span it asks for,
    the spans its answer's sentences propose (those the question does not already hold), each one's SQuAD
    F1 against the gold strings, and its text. Leaves out lists of people and questions about someone's role:
    their spans are not chosen by weights (``answer.shorten``)."""
    out = []
    for s in scored:
        e, answer = s.example, s.answer
        if not (e.answerable and answer.answered and e.item.any) or (e.q.is_list and e.q.kind == "person"):
            continue
        if asked_of(e.q) == "role":
            continue
        cited, proposals = proposals_of(e.q, answer.citations, e.engine.retriever.vocabulary.rarity)
        proposals = [p for p in proposals if not given(p)]
        if proposals:
            texts = [cited[p.sentence].sentence[p.start:p.end] for p in proposals]
            out.append((e, asked_of(e.q), proposals, np.array([span_scores(t, e.item.any)[1] for t in texts]),
                        texts))
    return out


# How strongly one kind's span weights are pulled towards the common ones (L2 on the difference). Held
# apart by article on public-dev (F1) and conv-dev: 1e-3 0.329 and 0.224, 1e-2 0.328 and 0.222, 3e-2
# 0.321 and 0.221 (2026-12-05).
SPAN_KIND_L2 = L2


SpanModel = tuple[np.ndarray, dict[str, np.ndarray], dict[str, NounShape]]
# How many questions' worth of the mean shape each asked noun's shape is pulled towards (``noun_shapes``):
# a noun asked once says little. Held-apart span F1 with 0.3: 0.4202, 1: 0.4203, 3: 0.4206 (2026-12-07).
NOUN_PRIOR = 3.0


def _noun_of(e: Example) -> str | None:
    return _noun_of_text(e.q.searched)


@lru_cache(maxsize=None)
def _noun_of_text(question: str) -> str | None:
    return noun_key(asked_noun(question))


def noun_shapes(data: Sequence[SpanData]) -> dict[str, NounShape]:
    """For each noun questions ask for ("What company ...?"), what their best proposals looked like
    (``features.NounShape``), pulled towards the mean of every noun's by ``NOUN_PRIOR`` questions."""
    sums: dict[str, np.ndarray] = {}
    for e, _, proposals, f1, _ in data:
        noun = _noun_of(e)
        if noun is not None and f1.max() > 0:
            sums[noun] = sums.get(noun, np.zeros(4)) + np.r_[span_shape(proposals[int(np.argmax(f1))].features), 1.0]
    if not sums:
        return {}
    total = np.sum(list(sums.values()), axis=0)
    mean = total[:3] / total[3]
    return {noun: tuple(round(float(v), 4) for v in (x[:3] + NOUN_PRIOR * mean) / (x[3] + NOUN_PRIOR))
            for noun, x in sorted(sums.items())}


def with_shapes(data: Sequence[SpanData], shapes: dict[str, NounShape]) -> list[SpanData]:
    """The data with copies of its proposals whose noun features (``spans.shape_features``) read ``shapes``."""
    out = []
    for e, kind, proposals, f1, texts in data:
        shape = shapes.get(_noun_of(e) or "")
        copied = [replace(p, features=p.features.copy()) for p in proposals]
        for p in copied:
            shape_features(p.features, shape)
        out.append((e, kind, copied, f1, texts))
    return out


def fit_spans(data: Sequence[SpanData]) -> SpanModel:
    """Span weights that choose the span of highest expected F1: a softmax over each question's proposals,
    fitted to their F1 (listwise; on held-apart dev answers it chose better than "F1 >= 0.5" per span).
    The common weights, each kind's (``features.SPAN_FEATURES``' note): the common plus its own
    difference, and the shapes of the nouns asked for (``noun_shapes``), which the noun features read.

    Each question learns from shapes worked out without its own fold's questions, as a question asked later
    meets them: from shapes that had counted its own answer, a noun asked once looked certain (held-apart
    span F1 0.4126 against 0.4166 without the noun features)."""
    shapes = noun_shapes(data)
    folds = {d[0].fold for d in data}
    apart = {fold: noun_shapes([d for d in data if d[0].fold != fold]) for fold in folds}
    data = [with_shapes([d], apart[d[0].fold])[0] for d in data]
    kinds = sorted({kind for _, kind, _, f1, _ in data if f1.max() > 0})
    size = len(SPAN_FEATURES)
    lists = [(np.hstack([x] + [x * (kind == k) for k in kinds]), f1 / f1.sum())
             for _, kind, proposals, f1, _ in data if f1.max() > 0 for x in [np.array([p.features for p in proposals])]]
    if not lists:
        return np.zeros(size), {}, shapes
    penalty = np.r_[np.full(size, L2), np.full(size * len(kinds), SPAN_KIND_L2)]

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = 0.0, np.zeros_like(w)
        for x, target in lists:
            s = x @ w
            p = np.exp(s - s.max())
            p /= p.sum()
            value -= float(target @ np.log(p + 1e-12))
            grad -= x.T @ (target - p)
        return value / len(lists) + float(penalty @ (w * w)), grad / len(lists) + 2 * penalty * w

    w = _minimise(loss, size * (1 + len(kinds)))
    common = w[:size]
    return common, {k: common + w[size * (i + 1):size * (i + 2)] for i, k in enumerate(kinds)}, shapes


def span_figures(data: Sequence[SpanData], per_fold: dict[int, SpanModel]) -> dict[str, float | int]:
    """Exact match, F1 and coverage of the chosen spans, each question's by the weights fitted without its fold."""
    em = f1 = given = 0.0
    for item in data:
        common, kinds, shapes = per_fold[item[0].fold]
        e, kind, proposals, _, texts = with_shapes([item], shapes)[0]
        chosen = best(proposals, kinds.get(kind or "", common), texts)
        if chosen is not None:
            given += 1
            a, b = span_scores(texts[proposals.index(chosen)], e.item.any)
            em, f1 = em + a, f1 + b
    n = max(1, len(data))
    return {"questions": len(data), "exact_match": round(em / n, 4), "f1": round(f1 / n, 4),
            "coverage": round(given / n, 4)}


def _report(scored: Sequence[Scored]) -> dict:
    """Held-apart figures by question file."""
    sources = sorted({s.example.source for s in scored})
    return {source: figures([s for s in scored if s.example.source == source]) for source in sources}


def _short(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(PROJECT_DIR.parent))
    except ValueError:
        return str(path)


def _round(values: np.ndarray) -> list[float]:
    return [round(float(v), 4) for v in values]


def main(argv: list[str] | None = None) -> int:
    """``python -m qa fit``: refit the weights of the settings' model and print the report."""
    parser = argparse.ArgumentParser(prog="python -m qa fit", description="Refit answering's weights.")
    parser.add_argument("--data", nargs=2, action="append", type=Path, metavar=("ARTICLES", "QUESTIONS"),
                        help="articles and labelled questions to fit on (repeatable; default: public-dev and ours)")
    parser.add_argument("--out", type=Path, help="weights file to write (default: qa/weights/<model>.json)")
    add_arguments(parser)
    args = parser.parse_args(argv)
    settings = Settings.resolve(**from_arguments(args))
    data = [((articles,), questions) for articles, questions in args.data] if args.data else list(DEFAULT_DATA)
    out = args.out or file_for(settings.model)
    content = fit(data, settings, out, lambda line: print(line, file=sys.stderr, flush=True))
    print(json.dumps({k: content[k] for k in ("fusion", "choose", "per_sd", "held_apart")}, indent=1))
    print(f"wrote {out}", file=sys.stderr)
    return 0
