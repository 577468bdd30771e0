"""Memory under use: the served app's memory after many /ask calls and page sessions.

    make bench ARGS=--memory                    # 10,000 of each over the embedded default article
    .venv/bin/python bench/memory.py --calls 2000

The app (``ui.build_demo`` + ``app.launch``, as ``app.py`` serves it) runs in
this process. Each round sends raw ``/ask`` calls over HTTP (Gradio's call
API: each call is a session of its own) and opens as many page sessions (the
page's load event, as a new browser sends it: a new session and no stored
token), a few at once. It reports the app's memory after the first 200 of
each, after every further block, and the verdict: the growth from 200 to the
end, which should stay under 100 MB. Leaves out: the browser side, uploads
(``bench/load.py``, ``bench/overlay.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import QUESTIONS, _free_port, ask, rss_mib, show  # noqa: E402

FIRST = 200  # the memory every later figure is compared with: after this many of each
LIMIT_MIB = 100  # the bound on growth from FIRST to the end
AT_ONCE = 4


def page_session(url: str, fn_index: int) -> bool:
    """One page load by a new browser: the load event posted under a fresh session, as the page does."""
    body = {"data": ["", []], "fn_index": fn_index, "session_hash": uuid.uuid4().hex[:11], "event_data": None,
            "trigger_id": None}
    request = urllib.request.Request(f"{url}gradio_api/run/predict", json.dumps(body).encode(),
                                     {"Content-Type": "application/json"})
    try:
        return "data" in json.load(urllib.request.urlopen(request, timeout=120))
    except OSError:
        return False


def block(url: str, fn_index: int, count: int, seed: int) -> int:
    """``count`` /ask calls and ``count`` page sessions, ``AT_ONCE`` at a time; the number that failed."""
    rng = random.Random(seed)
    jobs = [("ask", rng.choice(QUESTIONS)) for _ in range(count)] + [("page", "")] * count
    rng.shuffle(jobs)

    def run(job: tuple[str, str]) -> bool:
        return ask(url, job[1])[1] if job[0] == "ask" else page_session(url, fn_index)

    with ThreadPoolExecutor(AT_ONCE) as pool:
        return sum(not ok for ok in pool.map(run, jobs))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/memory.py", description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10_000, help="/ask calls, and page sessions (default 10,000)")
    parser.add_argument("--every", type=int, default=1_000, help="memory is read after each this many of each")
    parser.add_argument("--out", type=Path, help="also write the results here as JSON")
    args = parser.parse_args(argv)

    import app
    import ui
    from qa import load

    engine = load(threads=1, freeze_gc=True)  # the embedded default article and model, as `make run` serves
    demo = ui.build_demo(engine, ())
    url, _ = app.launch(demo, "127.0.0.1", _free_port(), block=False)
    page = demo.page  # type: ignore[attr-defined]
    fn_index = next(i for i, f in demo.fns.items() if getattr(f.fn, "__func__", None) is type(page).start)
    results: dict = {"calls": args.calls, "rss_mib_start": round(rss_mib()), "memory": []}
    began = time.perf_counter()
    try:
        failed = block(url, fn_index, FIRST, 0)
        done = FIRST
        results["memory"].append({"each": done, "rss_mib": round(rss_mib())})
        while done < args.calls:
            step = min(args.every - done % args.every or args.every, args.calls - done)
            failed += block(url, fn_index, step, done)
            done += step
            results["memory"].append({"each": done, "rss_mib": round(rss_mib())})
            print(f"{done:,} of each: {results['memory'][-1]['rss_mib']} MiB", file=sys.stderr, flush=True)
    finally:
        demo.close()
    first, last = results["memory"][0]["rss_mib"], results["memory"][-1]["rss_mib"]
    results.update(failed=failed, seconds=round(time.perf_counter() - began),
                   verdict={f"growth from {FIRST} to {done:,} of each (MiB)": last - first,
                            f"within {LIMIT_MIB} MiB": last - first <= LIMIT_MIB})
    show(results, args.out)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.exit(main())
