"""One measurement, run in its own process so its timings and peak memory are its own.

``python bench/child.py MODE '{json args}'`` prints one JSON line (the last
line of stdout) that ``bench/run.py`` collects. Every mode drives the engine
through its public surface (``qa.load``, ``Engine``, ``Engine.ask(timings=)``,
the ``progress`` callback, the served app's ``/ask``), as users do. Modes:

- ``cold``: import, load the model, open the corpus (cached, or building it),
  answer one question: times of each step from the process's spawn, peak RSS,
  build rates from the progress callback.
- ``warm``: time ``ask()`` over the questions by stage, against embedding the
  question alone; RSS; recall of the store's search against exact search.
- ``borrow``: build a store whose vectors are borrowed (``bench/borrowed.py``).
- ``batch``: encode throughput by batch size and sorting.
- ``memory``: the served app's RSS as a user drives it through ``/ask``.
- ``export``: the engine's one-time ONNX export, timed.
Leaves out: the reference pipelines (``bench/reference.py``, their own venv).
"""

from __future__ import annotations

import json
import os
import sys
import time

START = time.time()  # as early as possible: cold start counts from the parent's spawn and from here

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def peak_rss_mib() -> float:
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def rss_mib() -> float:
    import psutil

    return round(psutil.Process().memory_info().rss / 2**20, 1)


def ms(values: list[float], p: float = 50) -> float | None:
    """The ``p``-th percentile of seconds, in ms (linear between ranks)."""
    ordered = sorted(values)
    if not ordered:
        return None
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return round((ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)) * 1000, 2)


def settings_of(args: dict, **extra):
    """The engine settings a mode runs with; ``store`` only when not the default (FAISS)."""
    from qa import Settings

    store = args.get("store")
    chosen = {"store": store} if store not in (None, "faiss") else {}
    return Settings.resolve(articles=args["articles"], cache_dir=args["cache"], threads=args.get("threads"),
                            backend=args.get("backend"), precision=args.get("precision"), **chosen, **extra)


class Phases:
    """The engine's progress callback, recording when each stage was first and last reported."""

    def __init__(self, refuse_work: bool = False):
        self.first: dict[str, float] = {}
        self.last: dict[str, float] = {}
        self.totals: dict[str, int] = {}
        self.refuse_work = refuse_work

    def __call__(self, stage: str, done: int, total: int) -> None:
        # "reading" alone is the check of each article's size and time against the stamps (qa/ingest.py's
        # plan), which a cached start makes too; work is ingesting, embedding or saving a store.
        if self.refuse_work and stage in ("ingesting", "embedding", "saving"):
            raise NotCached(f"the engine began {stage}: the store it should open is not cached")
        now = time.time()
        self.first.setdefault(stage, now)
        self.last[stage] = now
        self.totals[stage] = total


class NotCached(RuntimeError):
    pass


def mode_cold(args: dict) -> dict:
    """Process start to first answer; with an empty cache this is also the index build."""
    spawn = args.get("spawn", START)
    from qa import Engine
    from qa.engine import load_model

    imported = time.time()
    settings = settings_of(args)
    embedder = load_model(settings)
    model = time.time()
    phases = Phases(refuse_work=bool(args.get("cached_only")))
    engine = Engine(settings, phases, embedder=embedder)
    opened = time.time()
    answer = engine.ask(args.get("question", "Who attended the talks?"))
    answered = time.time()
    corpus = engine.corpus
    out = {
        "embedded": corpus.embedded, "passages": len(corpus.passages),
        "sentences": int(sum(len(p.sentences) for p in corpus.passages)), "articles": len(corpus.articles),
        "answered": answer.answered, "backend": embedder.backend, "torch_imported": "torch" in sys.modules,
        "passage_precision": embedder.passage_precision,
        "total_s": answered - spawn, "interpreter_s": START - spawn, "import_s": imported - START,
        "model_s": model - imported, "open_s": opened - model, "first_ask_s": answered - opened,
        "threads": settings.thread_count,
    }
    if corpus.embedded:
        embed_start = phases.last.get("reading", model)
        embed_end = phases.last.get("embedding", embed_start)
        out.update({"build_s": out["open_s"], "read_split_s": embed_start - model, "embed_s": embed_end - embed_start,
                    "index_write_s": opened - embed_end, "passages_per_s": corpus.embedded / out["open_s"]})
        if args.get("count_tokens"):
            counts = [embedder.count_tokens(p.embed_text) for p in corpus.passages]
            out["tokens"] = sum(min(n, embedder.max_tokens) for n in counts)
            out["tokens_cut"] = sum(n > embedder.max_tokens for n in counts)  # passages longer than the window
    return out


def mode_warm(args: dict) -> dict:
    """Warm ask() latency split into the engine's own stages; the floor is embedding the question alone."""
    from qa import Engine

    t = time.perf_counter()
    engine = Engine(settings_of(args), Phases(refuse_work=bool(args.get("cached_only"))))
    open_s = time.perf_counter() - t
    rss_open = rss_mib()
    questions = args["questions"]
    for q in questions[:5]:  # warm-up: first calls allocate
        engine.ask(q)
    rows, alone, answered = [], [], 0
    for _ in range(args.get("rounds", 1)):
        for q in questions:
            t = time.perf_counter()
            engine.embedder.encode_query(q)
            alone.append(time.perf_counter() - t)
            timings: dict[str, float] = {}
            t = time.perf_counter()
            answered += engine.ask(q, timings=timings).answered
            rows.append({**timings, "total": time.perf_counter() - t})
    stages = sorted({k for r in rows for k in r} - {"total"})
    rows = [{**r, "other": r["total"] - sum(r.get(s, 0.0) for s in stages)} for r in rows]
    col = {s: [r.get(s, 0.0) for r in rows] for s in [*stages, "other", "total"]}
    corpus = engine.corpus
    out = {
        "questions": len(questions), "asks": len(rows), "answered_share": round(answered / len(rows), 3),
        "passages": len(corpus.passages), "sentences": int(sum(len(p.sentences) for p in corpus.passages)),
        "embedded": corpus.embedded, "dim": engine.embedder.dim, "open_s": round(open_s, 3),
        "ask_ms_median": ms(col["total"]), "ask_ms_p95": ms(col["total"], 95),
        "embed_alone_ms_median": ms(alone), "embed_alone_ms_p95": ms(alone, 95),
        "ratio_ask_to_embed": round(ms(col["total"]) / ms(alone), 3),
        "stages_ms_median": {s: ms(v) for s, v in col.items()},
        "rss_open_mib": rss_open, "rss_mib": rss_mib(), "threads": engine.settings.thread_count,
    }
    if args.get("recall"):
        out["recall"] = recall(corpus.store, [engine.embedder.encode_query(q) for q in questions])
    return out


def recall(store, queries: list) -> dict:
    """recall@10 of the store's own (possibly approximate) search against exact inner products.

    A hit counts when it scores at least the exact 10th best (so a duplicate passage tied with it counts).
    """
    import numpy as np

    everything = store.vectors(np.arange(store.size))
    found, took = [], []
    for q in queries:
        t = time.perf_counter()
        ids, _ = store.search(q, 10)
        took.append(time.perf_counter() - t)
        exact = everything @ q
        tenth = np.partition(-exact, 9)[9]
        found.append(float(np.sum(-exact[ids[:10]] <= tenth + 1e-6)) / 10)
    return {"queries": len(queries), "recall@10": round(float(np.mean(found)), 4), "search_ms_median": ms(took)}


def mode_borrow(args: dict) -> dict:
    """Build a store with vectors borrowed from a built base corpus, unless it is already cached."""
    from bench.borrowed import BorrowedVectors
    from qa import Engine
    from qa.engine import load_model

    settings = settings_of(args)
    try:
        engine = Engine(settings, Phases(refuse_work=True), embedder=load_model(settings))
        return {"reused": True, "passages": len(engine.corpus.passages)}
    except NotCached:
        pass
    base = Engine(settings_of({**args, "articles": args["base"], "cache": args["base_cache"], "store": None}),
                  Phases(refuse_work=True))  # the base corpus's FAISS store, built by its own row
    t = time.perf_counter()
    borrowed = BorrowedVectors(base, settings)
    split_s = time.perf_counter() - t
    phases = Phases()
    t = time.perf_counter()
    engine = Engine(settings, phases, embedder=borrowed)
    build_s = time.perf_counter() - t
    return {"reused": False, "passages": len(engine.corpus.passages), "embedded": engine.corpus.embedded,
            "sentences": int(sum(len(p.sentences) for p in engine.corpus.passages)),
            "build_s": build_s, "passages_per_s": engine.corpus.embedded / build_s,
            "index_write_s": time.time() - phases.last.get("embedding", time.time()), "bench_split_s": split_s}


def mode_batch(args: dict) -> dict:
    """Passages per second of the build's encode (the engine's embedder) by batch size and sorting."""
    import random

    from qa import Engine

    engine = Engine(settings_of({"precision": "fp32", **args, "threads": 2}), Phases(refuse_work=True))  # ONNX's batches
    texts = [p.embed_text for p in engine.corpus.passages[: args.get("passages", 256)]]
    embedder = engine.embedder
    tokens = sum(min(embedder.count_tokens(t), embedder.max_tokens) for t in texts)
    embedder.encode(texts[:32], 8)  # warm-up
    shuffled = texts[:]
    random.Random(0).shuffle(shuffled)
    runs = []
    for batch, ordered in args.get("grid", [[4, True], [8, True], [32, True], [128, True], [8, False]]):
        t = time.perf_counter()
        if ordered:  # the embedder sorts by length itself
            embedder.encode(texts, batch)
        else:  # arrival order: each batch padded to its own longest text
            for i in range(0, len(shuffled), batch):
                embedder.encode(shuffled[i:i + batch], batch)
        took = time.perf_counter() - t
        runs.append({"batch": batch, "sorted": ordered, "s": took, "texts_per_s": len(texts) / took,
                     "tokens_per_s": tokens / took})
    return {"texts": len(texts), "tokens": tokens, "backend": embedder.backend, "threads": 2, "runs": runs}


MEMORY_QUESTIONS = ("Who attended the talks?", "Where will the talks continue?", "How did Macron describe the talks?",
                    "How many countries are in the coalition?", "What happened in Dnipro?", "Who is Andrii Yermak?",
                    "What is the capital of Peru?", "Who did Rubio speak with by phone?")


def mode_memory(args: dict) -> dict:
    """RSS of a served app (``app.py``, its own process) as a user drives it through the /ask API."""
    import socket
    import subprocess

    import psutil
    from gradio_client import Client

    from qa import Settings

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = subprocess.Popen([sys.executable, "app.py", "--port", str(port), "--articles", args["articles"]],
                           cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                           env={**os.environ, "QA_CACHE_DIR": args["cache"]},
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for line in app.stdout:
            if line.startswith("Ready"):
                break
        proc = psutil.Process(app.pid)
        rss = lambda: round(proc.memory_info().rss / 2**20, 1)
        out = {"rss_ready_mib": rss()}
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        for i in range(200):
            client.predict(MEMORY_QUESTIONS[i % len(MEMORY_QUESTIONS)], api_name="/ask")
        out["rss_after_200_questions_mib"] = rss()
        s = Settings.resolve()
        per_turn = s.max_history_chars // s.max_history_turns // 2 - 1
        for _ in range(20):
            client.predict("What did he write?", [["q" * per_turn, "a" * per_turn]] * s.max_history_turns,
                           api_name="/ask")
        out.update({"history_turns": s.max_history_turns, "history_chars": 2 * per_turn * s.max_history_turns,
                    "rss_after_largest_history_mib": rss()})
        t = time.perf_counter()
        try:
            client.predict("What did he write?", [["q" * 500, "a" * 500]] * 10_000, api_name="/ask")
            out["oversized_history_refused"] = False
        except Exception:  # noqa: BLE001 - the refusal, whichever error the client raises for it
            out["oversized_history_refused"] = True
        out.update({"oversized_history_s": time.perf_counter() - t, "rss_after_oversized_history_mib": rss()})
        with open(f"/proc/{app.pid}/status") as status:
            out["peak_rss_mib"] = next(int(x.split()[1]) / 1024 for x in status if x.startswith("VmHWM:"))
        return out
    finally:
        app.terminate()
        app.wait(30)


def mode_export(args: dict) -> dict:
    """The engine's one-time ONNX export of the default model, timed into a scratch folder."""
    import tempfile
    from pathlib import Path

    from embeddings import onnx
    from embeddings.model import DEFAULT_MODEL, resolve_model

    if not onnx.available():
        return {"skipped": "onnxruntime not installed"}
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        onnx.export(Path(resolve_model(DEFAULT_MODEL)), Path(tmp) / "model.onnx")
        return {"export_s": time.perf_counter() - t, "mib": (Path(tmp) / "model.onnx").stat().st_size / 2**20}


def main() -> None:
    args = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    result = globals()[f"mode_{sys.argv[1]}"](args)
    result.setdefault("peak_rss_mib", peak_rss_mib())
    sys.stdout.write("\n" + json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
