"""One measurement, run in its own process so timings and peak memory are its own.

``python bench/child.py MODE --json-args '{...}'`` prints one JSON line (the
last line of stdout) that ``bench/run.py`` collects. Modes:

- ``cold``: import, load the model, open the corpus (cached or not), answer one
  question; times of each step from the process's start, peak RSS, build rates.
- ``warm``: open a cached corpus, then time ``ask()`` over the questions split
  into stages, against embedding the question alone; RSS; HNSW recall.
- ``naive``: the reference pipeline's work (embed each paragraph once with
  sentence-transformers' defaults, batch 32), to compare builds on this machine.
- ``batch``: encode throughput by batch size and thread count.
- ``synth100k``: write the ~100k-passage store from the 10k corpus's vectors.
- ``onnx``: ONNX Runtime fp32 / int8 against torch: speed and agreement.
- ``memory``: the app (``app.py``, its own process) over the seed article: its
  RSS when ready, after 200 ``/ask`` questions, after the largest allowed
  history, and after a refused 10 MB history; its peak (VmHWM).
"""

from __future__ import annotations

import json
import os
import sys
import time

START = time.time()  # as early as possible: cold start counts from here (and from the parent's spawn)

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def peak_rss_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mib() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def pct(values, p):
    ordered = sorted(values)
    if not ordered:
        return None
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def ms(values, p=50):
    v = pct(values, p)
    return None if v is None else round(v * 1000, 2)


# ---------------------------------------------------------------- cold


def _time_model_load(marks: dict, refuse_embedding: bool = False) -> None:
    """Record when the engine's model load starts and ends (qa.engine.load_model, wrapped)."""
    import qa.engine as qe

    load_model = qe.load_model

    def timed(settings):
        marks["model_start"] = time.time()
        embedder = load_model(settings)
        marks["model"] = time.time()
        marks["backend"] = getattr(embedder, "backend", "torch")
        if refuse_embedding:
            def refuse(*a, **k):
                raise RuntimeError("the benchmark store was not accepted: the engine tried to embed the corpus")
            embedder.encode = embedder.encode_with_parts = refuse
        return embedder

    qe.load_model = timed


def mode_cold(args: dict) -> dict:
    """Process start to first answer; with an empty cache this is also the index build."""
    marks = {"spawn": args.get("spawn", START)}
    from qa import load  # noqa: F401  (the engine's own imports; the model's come with load_model)

    marks["imported"] = time.time()
    _time_model_load(marks)
    phases: dict[str, float] = {}

    def progress(stage, done, total):
        now = time.time()
        phases.setdefault(f"{stage}_first", now)
        phases[f"{stage}_last"] = now
        if stage == "embedding":
            phases["embed_total"] = total

    engine = load(args["articles"], progress=progress, cache_dir=args["cache"], threads=args.get("threads"),
                  backend=args.get("backend"))
    marks["opened"] = time.time()
    answer = engine.ask(args.get("question", "Who attended the talks?"))
    marks["answered"] = time.time()
    corpus = engine.corpus
    from embeddings.index import index_kind

    out = {
        "embedded": corpus.embedded,
        "passages": len(corpus.passages),
        "sentences": int(sum(len(p.sentences) for p in corpus.passages)),
        "articles": len(corpus.articles),
        "paragraphs": int(sum(p.paragraphs[1] - p.paragraphs[0] + 1 for p in corpus.passages)),
        "index": index_kind(corpus.store.index),
        "answered": answer.answered,
        "total_s": marks["answered"] - marks["spawn"],
        "interpreter_s": START - marks["spawn"],
        "import_s": marks["imported"] - START + (marks["model_start"] - marks["imported"]),
        "model_s": marks["model"] - marks["model_start"],
        "open_s": marks["opened"] - marks["model"],
        "backend": marks.get("backend"),
        "torch_imported": "torch" in sys.modules,
        "first_ask_s": marks["answered"] - marks["opened"],
        "peak_rss_mib": round(peak_rss_mib(), 1),
        "threads": engine.settings.thread_count,
    }
    if corpus.embedded:
        embed_start = phases.get("reading_last", marks["model"])
        embed_end = phases.get("embedding_last", embed_start)
        out.update({
            "read_split_s": embed_start - marks["model"],
            "embed_s": embed_end - embed_start,
            "index_write_s": phases.get("indexing_last", embed_end) - phases.get("indexing_first", embed_end),
            "texts_embedded": int(phases.get("embed_total", 0)),
        })
        out["build_s"] = out["open_s"]
        out["passages_per_s"] = corpus.embedded / out["build_s"]
        out["texts_per_s"] = out["texts_embedded"] / out["embed_s"] if out["embed_s"] else None
        if args.get("count_tokens"):
            count = engine.embedder.count_tokens
            out["passage_tokens"] = sum(min(count(p.embed_text), engine.embedder.max_tokens) for p in corpus.passages)
            out["sentence_tokens"] = sum(
                min(count(s), engine.embedder.max_tokens) for p in corpus.passages for s in p.sentence_texts())
    return out


# ---------------------------------------------------------------- warm


def _timed(name, fn, totals):
    def wrapper(*a, **k):
        t = time.perf_counter()
        try:
            return fn(*a, **k)
        finally:
            totals[name] = totals.get(name, 0.0) + time.perf_counter() - t
    return wrapper


def _time_open_steps() -> dict:
    """Wrap the steps of opening a cached corpus to record their time and the RSS after each."""
    import qa.corpus as qc
    import qa.engine as qe

    steps: dict = {}

    def wrap(module, name, label):
        fn = getattr(module, name)

        def wrapper(*a, **k):
            t = time.perf_counter()
            result = fn(*a, **k)
            steps[label] = {"s": round(time.perf_counter() - t, 3), "rss_mib_after": round(rss_mib(), 1)}
            return result
        setattr(module, name, wrapper)

    wrap(qc, "read_store", "read_store (checksums, JSON records, FAISS, sentence vectors)")
    wrap(qc, "_from_store", "passages from records")
    base = qe.Retriever

    class TimedRetriever(base):
        def __init__(self, *a, **k):
            t = time.perf_counter()
            super().__init__(*a, **k)
            steps["Retriever (terms of every passage + BM25 index)"] = {
                "s": round(time.perf_counter() - t, 3), "rss_mib_after": round(rss_mib(), 1)}

    qe.Retriever = TimedRetriever
    steps["rss_mib_before"] = round(rss_mib(), 1)
    return steps


def mode_warm(args: dict) -> dict:
    """Warm ask() latency split into stages; the floor is embedding the question alone."""
    from embeddings.index import index_kind
    from qa import load

    marks: dict = {}
    _time_model_load(marks, refuse_embedding=bool(args.get("no_embed")))
    opening = _time_open_steps()
    t0 = time.perf_counter()
    engine = load(args["articles"], cache_dir=args["cache"], threads=args.get("threads", 1),
                  backend=args.get("backend"))
    settings = engine.settings
    embedder = engine.embedder
    open_s = time.perf_counter() - t0
    opening["total_s"] = round(open_s - (marks["model"] - marks["model_start"]), 3)
    rss_open = rss_mib()
    questions = args["questions"]
    for q in questions[:5]:  # warm-up: first calls allocate
        engine.ask(q)

    state = engine._state
    plain_query = embedder.encode_query
    rows = []
    alone = []
    answered = 0
    for _ in range(args.get("rounds", 1)):
        for q in questions:
            t = time.perf_counter()
            plain_query(q)
            alone.append(time.perf_counter() - t)
            timings: dict[str, float] = {}
            t = time.perf_counter()
            answer = engine.ask(q, timings=timings)
            total = time.perf_counter() - t
            answered += answer.answered
            rows.append({"total": total, **timings})

    def col(name):
        return [r.get(name, 0.0) for r in rows]

    # The engine's own stage timings (``Engine.ask(timings=...)``).
    stages = {
        "analyse": col("analyse"),
        "embed_query": col("embed"),
        "retrieve": col("retrieve"),
        "score": col("score"),
        "compose": col("compose"),
        "other": [r["total"] - sum(r.get(k, 0.0) for k in ("analyse", "embed", "retrieve", "score", "compose"))
                  for r in rows],
    }
    out = {
        "questions": len(questions),
        "asks": len(rows),
        "answered_share": round(answered / len(rows), 3),
        "passages": len(state.corpus.passages),
        "sentences": int(len(state.corpus.store.sentence_vectors)),
        "embedded": state.corpus.embedded,
        "index": index_kind(state.corpus.store.index),
        "open_s": round(open_s, 3),
        "open_steps": opening,
        "ask_ms_median": ms(col("total")),
        "ask_ms_p95": ms(col("total"), 95),
        "embed_alone_ms_median": ms(alone),
        "embed_alone_ms_p95": ms(alone, 95),
        "ratio_ask_to_embed": round(pct(col("total"), 50) / pct(alone, 50), 3),
        "stages_ms_median": {k: ms(v) for k, v in stages.items()},
        "stages_ms_p95": {k: ms(v, 95) for k, v in stages.items()},
        "stages_ms_mean": {k: round(sum(v) / len(v) * 1000, 2) for k, v in stages.items()},
        "rss_open_mib": round(rss_open, 1),
        "rss_mib": round(rss_mib(), 1),
        "peak_rss_mib": round(peak_rss_mib(), 1),
        "threads": settings.thread_count,
        "backend": marks.get("backend"),
    }
    if args.get("recall") and index_kind(state.corpus.store.index) != "Flat (exact)":
        out["recall"] = _hnsw_recall(state.corpus.store.index, [plain_query(q) for q in questions])
    return out


def _hnsw_recall(index, queries) -> dict:
    """Recall of the approximate index against exact search, on the questions' vectors."""
    import faiss
    import numpy as np

    q = np.stack(queries).astype(np.float32)
    flat = faiss.IndexFlatIP(index.d)
    flat.add(index.reconstruct_n(0, index.ntotal))
    out = {"queries": len(q)}
    t = time.perf_counter()
    _, exact = flat.search(q, 50)
    out["flat_ms_per_query"] = round((time.perf_counter() - t) / len(q) * 1000, 2)
    default_ef = index.hnsw.efSearch
    for ef in sorted({64, default_ef, 256}):
        index.hnsw.efSearch = ef
        t = time.perf_counter()
        _, got = index.search(q, 50)
        took = (time.perf_counter() - t) / len(q) * 1000
        rec = {}
        for k in (10, 50):
            rec[f"recall@{k}"] = round(float(np.mean([len(set(a[:k]) & set(b[:k])) / k for a, b in zip(got, exact)])), 4)
        out[f"ef{ef}"] = {**rec, "ms_per_query": round(took, 3)}
    index.hnsw.efSearch = default_ef
    out["ef_default"] = default_ef
    return out


# ---------------------------------------------------------------- naive reference


def mode_naive(args: dict) -> dict:
    """What the reference pipelines do: each paragraph embedded once, batch 32, no packing."""
    from pathlib import Path

    from embeddings.model import load_embedder
    from qa.articles import article_files, parse_article

    # The reference pipelines run sentence-transformers (torch) with its defaults.
    embedder = load_embedder("all-MiniLM-L6-v2", args.get("threads", 2), backend="torch")
    paragraphs = []
    for path in article_files(Path(args["articles"])):
        article = parse_article(path.name, path.read_bytes())
        for section in article.sections:
            paragraphs += [article.text[a:b] for a, b in section.paragraphs]
    t = time.perf_counter()
    embedder.runner.model.encode(paragraphs, batch_size=32, show_progress_bar=False, convert_to_numpy=True,
                          normalize_embeddings=True)
    took = time.perf_counter() - t
    tokens = sum(min(embedder.count_tokens(p), embedder.max_tokens) for p in paragraphs)
    return {"paragraphs": len(paragraphs), "tokens": tokens, "embed_s": took,
            "paragraphs_per_s": len(paragraphs) / took, "tokens_per_s": tokens / took}


# ---------------------------------------------------------------- batch size


def token_counter():
    """count_tokens as the default model counts, from its tokenizer alone (no model loaded)."""
    from tokenizers import Tokenizer

    from embeddings.model import resolve_model

    tok = Tokenizer.from_file(os.path.join(resolve_model("all-MiniLM-L6-v2"), "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    return lambda text: len(tok.encode(text).ids)


def _sample_texts(articles: str, passages: int, sentences: int):
    """Passage texts (as embedded) and sentence texts from the first articles of a corpus."""
    from pathlib import Path

    from qa.articles import article_files, parse_article, split_passages

    count = token_counter()
    P, S = [], []
    for path in article_files(Path(articles)):
        article = parse_article(path.name, path.read_bytes())
        for p in split_passages(article, count, 256, 160):
            P.append(p.embed_text)
            S.extend(p.sentence_texts())
        if len(P) >= passages and len(S) >= sentences:
            break
    return P[:passages], S[:sentences]


def mode_batch(args: dict) -> dict:
    """Passages per second of the build's encode (the engine's default backend) by batch size and sorting."""
    import random

    import qa.engine as qe
    from qa.config import Settings

    P, _ = _sample_texts(args["articles"], args.get("passages", 256), 0)
    embedder = qe.load_model(Settings.resolve(cache_dir=args["cache"], threads=2))

    def encode(texts, bs):
        return embedder.encode_with_parts(texts, [[(0, len(t))] for t in texts], bs)

    count = token_counter()
    tokens = sum(min(count(t), embedder.max_tokens) for t in P)
    encode(P[:32], 8)  # warm-up
    out = {"texts": len(P), "tokens": tokens, "backend": getattr(embedder, "backend", "torch"), "runs": []}
    shuffled = P[:]
    random.Random(0).shuffle(shuffled)
    for bs, sort in args.get("grid", [[4, True], [8, True], [32, True], [128, True], [8, False]]):
        t = time.perf_counter()
        if sort:
            encode(P, bs)
        else:  # arrival order: each batch padded to its own longest text
            for i in range(0, len(shuffled), bs):
                encode(shuffled[i:i + bs], bs)
        took = time.perf_counter() - t
        out["runs"].append({"threads": 2, "batch": bs, "sorted": sort, "s": round(took, 2),
                            "texts_per_s": round(len(P) / took, 1), "tokens_per_s": round(tokens / took)})
    return out


# ---------------------------------------------------------------- memory of the served app


MEMORY_QUESTIONS = ("Who attended the talks?", "Where will the talks continue?", "How did Macron describe the talks?",
                    "How many countries are in the coalition?", "What happened in Dnipro?", "Who is Andrii Yermak?",
                    "What is the capital of Peru?", "Who did Rubio speak with by phone?")


def mode_memory(args: dict) -> dict:
    """RSS of a served app as a user drives it through the /ask API (its own process, as users run it)."""
    import socket
    import subprocess

    import psutil
    from gradio_client import Client

    from qa.config import Settings

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "QA_CACHE_DIR": args["cache"]}
    app = subprocess.Popen([sys.executable, "app.py", "--port", str(port), "--articles", args["articles"]], cwd=root,
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for line in app.stdout:
            if line.startswith("Ready"):
                break
        proc = psutil.Process(app.pid)

        def rss():
            return round(proc.memory_info().rss / 2**20, 1)

        def peak():
            for line in open(f"/proc/{app.pid}/status"):
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
            return None

        out = {"rss_ready_mib": rss()}
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        t = time.perf_counter()
        for i in range(200):
            client.predict(MEMORY_QUESTIONS[i % len(MEMORY_QUESTIONS)], api_name="/ask")
        out["ask_ms_mean"] = round((time.perf_counter() - t) / 200 * 1000, 1)
        out["rss_after_200_questions_mib"] = rss()
        s = Settings.resolve()
        per_turn = s.max_history_chars // s.max_history_turns // 2 - 1
        largest = [["q" * per_turn, "a" * per_turn]] * s.max_history_turns
        for _ in range(20):
            client.predict("What did he write?", largest, api_name="/ask")
        out["largest_history"] = {"turns": s.max_history_turns, "chars": 2 * per_turn * s.max_history_turns}
        out["rss_after_largest_history_mib"] = rss()
        t = time.perf_counter()
        try:
            client.predict("What did he write?", [["q" * 500, "a" * 500]] * 10_000, api_name="/ask")
            out["oversized_history"] = "answered (not refused!)"
        except Exception as exc:  # the refusal
            out["oversized_history"] = str(exc)[:160]
        out["oversized_history_s"] = round(time.perf_counter() - t, 2)
        out["rss_after_oversized_history_mib"] = rss()
        out["peak_rss_mib"] = peak()
        return out
    finally:
        app.terminate()
        app.wait(30)


# ---------------------------------------------------------------- entry


def main() -> None:
    mode = sys.argv[1]
    args = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    if mode == "synth100k":
        from bench.synth import synth100k as fn
    elif mode == "onnx":
        from bench.onnx_check import run as fn
    elif mode == "whatif":
        from bench.whatif import run as fn
    elif mode == "export":
        from bench.whatif import time_export as fn
    else:
        fn = globals()[f"mode_{mode}"]
    result = fn(args)
    result["peak_rss_mib"] = result.get("peak_rss_mib") or round(peak_rss_mib(), 1)
    sys.stdout.write("\n" + json.dumps(result) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
