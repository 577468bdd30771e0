"""Load test: many people asking one served app over a large archive while heavy uploads index.

    make bench ARGS=--load                      # 20k passages (built once into bench/.cache), 50 and 200 at once
    .venv/bin/python bench/load.py --passages 2000 --out bench/results/load.json

The app (``ui.build_demo`` + ``app.launch``, as ``app.py`` serves it) runs in
this process over a generated news archive; questions go to ``/ask`` over
HTTP from threads, 50 and then 200 at once, first with nothing else going on
and then while two heavy uploads (generated articles of ``--upload-kb``
each) index through the page, as two browsers would add them. It reports
p50 and p95 latency and errors of each round, the verdicts as ratios within
this one run (busy p50 / idle p50), and the app's memory before and after.
Leaves out: the browser side (rendering), networks slower than loopback.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import CACHE, ensure_corpus, news_spec  # noqa: E402

QUESTIONS = ["Who attended the talks?", "Where will the talks continue?", "What did the minister say?",
             "How many people were evacuated?", "When did the strike begin?", "Who won the election?"]


def rss_mib() -> float:
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS")) / 1024


def ask(url: str, question: str) -> tuple[float, bool]:
    """One /ask call over HTTP (Gradio's two-step call API): seconds, and whether an answer came."""
    began = time.perf_counter()
    try:
        request = urllib.request.Request(f"{url}gradio_api/call/ask", json.dumps({"data": [question]}).encode(),
                                         {"Content-Type": "application/json"})
        event = json.load(urllib.request.urlopen(request, timeout=300))["event_id"]
        body = urllib.request.urlopen(f"{url}gradio_api/call/ask/{event}", timeout=300).read()
        ok = b"event: complete" in body
    except OSError:
        ok = False
    return time.perf_counter() - began, ok


def round_of(url: str, at_once: int, seed: int) -> dict:
    """``at_once`` questions sent together: p50, p95 and errors."""
    rng = random.Random(seed)
    with ThreadPoolExecutor(at_once) as pool:
        results = list(pool.map(lambda q: ask(url, q), [rng.choice(QUESTIONS) for _ in range(at_once)]))
    times = sorted(t for t, _ in results)
    return {"questions": at_once, "p50_s": round(statistics.median(times), 3),
            "p95_s": round(times[min(len(times) - 1, int(0.95 * len(times)))], 3),
            "errors": sum(not ok for _, ok in results)}


def heavy_article(kb: int, seed: int) -> bytes:
    """A long generated article: paragraphs of plain news sentences, ``kb`` kilobytes."""
    rng = random.Random(seed)
    towns = ["Skalholt", "Vik", "Nordby", "Eastham", "Porto Vello", "Lindau", "Carrick", "Ostra"]
    out, size = [f"Regional report {seed}\n"], 0
    while size < kb * 1000:
        town = rng.choice(towns)
        paragraph = (f"In {town}, {rng.randint(20, 900)} residents met on {rng.choice(['Monday', 'Friday'])} to "
                     f"discuss the {rng.choice(['harbour', 'school', 'bridge', 'market'])} plan, the council "
                     f"said. A vote is expected in {rng.choice(['May', 'June', 'July'])}.")
        out.append(paragraph)
        size += len(paragraph) + 2
    return "\n\n".join(out).encode()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/load.py", description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=20_000, help="size of the archive (default 20,000)")
    parser.add_argument("--rounds", default="50,200", help="questions sent at once, per round (default 50,200)")
    parser.add_argument("--upload-kb", type=int, default=400, help="size of each of the two heavy uploads")
    parser.add_argument("--out", type=Path, help="also write the results here as JSON")
    args = parser.parse_args(argv)

    import app
    import ui
    from qa import load
    from qa.uploads import new_owner

    spec = news_spec(f"load{args.passages}", args.passages)
    ensure_corpus(spec)
    cache = CACHE / "engines" / f"load{args.passages}"
    engine = load(spec.folder, cache_dir=cache, threads=1, freeze_gc=True)
    demo = ui.build_demo(engine, ())
    url, _ = app.launch(demo, "127.0.0.1", _free_port(), block=False)
    page = demo.page  # type: ignore[attr-defined]
    results: dict = {"passages": sum(a.passages for a in engine.articles), "rss_mib_before": round(rss_mib())}
    rounds = [int(n) for n in args.rounds.split(",")]
    try:
        round_of(url, 8, 0)  # warm
        results["idle"] = [round_of(url, n, i) for i, n in enumerate(rounds)]
        uploads_done: list[float] = []
        owners = [new_owner() for _ in range(2)]  # new browsers each run: their uploads are indexed, not found kept

        def upload(i: int) -> None:
            began = time.perf_counter()
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / f"heavy{i}.txt"
                path.write_bytes(heavy_article(args.upload_kb, i))
                page.add_files([str(path)], page.token(owners[i]),
                               progress=lambda *a, **k: None)
            uploads_done.append(time.perf_counter() - began)

        threads = [threading.Thread(target=upload, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not any(  # questions go out once an upload is being embedded
                u.stage == "embedding" for o in owners for u in page.browsers().pending(o)):
            time.sleep(0.05)
        results["during_uploads"] = [round_of(url, n, 10 + i) for i, n in enumerate(rounds)]
        for t in threads:
            t.join()
        results["upload_s"] = [round(s, 1) for s in uploads_done]
        results["rss_mib_after"] = round(rss_mib())
        for i, owner in enumerate(owners):  # the bench's cache keeps the archive, not these uploads
            page.browsers().remove(owner, f"heavy{i}.txt")
        idle, busy = results["idle"], results["during_uploads"]
        results["verdicts"] = {f"{b['questions']} at once: {p} during uploads / idle":
                               round(b[f"{p}_s"] / a[f"{p}_s"], 2) if a[f"{p}_s"] else None
                               for a, b in zip(idle, busy) for p in ("p50", "p95")}
    finally:
        demo.close()
    show(results, args.out)
    return 0


def show(results: dict, out: Path | None) -> None:
    """Print a bench's results as JSON, and write them to ``out`` too when given."""
    text = json.dumps(results, indent=1)
    print(text)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.exit(main())
