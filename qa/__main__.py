"""Command line: ``python -m qa "Who attended?"``, an interactive prompt, or ``eval``.

    python -m qa "Who attended the talks?"          answer and numbered sources
    python -m qa                                    interactive; follow-ups use the conversation
    python -m qa eval questions.jsonl [--json]      quality and latency on labelled questions
    python -m qa fit                                refit answering's weights (see qa/fit.py)
    python -m qa index [--ray ADDRESS]              index the articles into the store, resumably

Only parsing, calling the engine and printing live here. Errors are one
``Error: ...`` line on stderr (exit 1; usage errors exit 2).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from . import load
from .config import add_arguments, from_arguments
from .conversation import Turn
from .engine import Engine
from .errors import QAError, exit_code
from .progress import Pace, progress_text

COMMANDS = """commands (each has its own --help):
  python -m qa eval QUESTIONS.jsonl   quality and latency on labelled questions
  python -m qa fit                    refit answering's weights on the calibration sets
  python -m qa index [--ray ADDRESS]  index the articles into the store (re-fetches changed links)"""


def _parser(prog: str, eval_mode: bool) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Evaluate on labelled questions." if eval_mode else "Ask questions of news articles.",
        epilog=None if eval_mode else COMMANDS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    if eval_mode:
        parser.add_argument("questions", type=Path, help="JSONL file of labelled questions")
        parser.add_argument("--whole", action="store_true",
                            help="ask each conversation from its first turn, as the chat keeps it (the labelled "
                                 "histories may hold only the latest turns)")
    else:
        parser.add_argument("question", nargs="*", help="the question (none: interactive prompt)")
        parser.add_argument("--only", action="append", metavar="FILE",
                            help="answer only from this article (its file name, as the app's table shows it); "
                                 "repeat for more")
    add_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    return parser


def _progress(stage: str, done: int, total: int) -> None:
    """Indexing progress on stderr, one rewritten line."""
    if not total:  # a stage without steps: waiting for another process's build of the same articles
        print(f"{progress_text(stage)}\u2026", file=sys.stderr, flush=True)
        return
    if not sys.stderr.isatty() and done < total:
        return
    end = "\n" if done >= total else ""
    print(f"\r{progress_text(stage, done, total)}", end=end, file=sys.stderr, flush=True)


def _engine(args: argparse.Namespace) -> Engine:
    return load(progress=_progress, freeze_gc=True, **from_arguments(args))  # the process is ours


def _interactive(engine: Engine, as_json: bool, only: list[str] | None = None) -> int:
    """A prompt that keeps the conversation, so follow-up questions work."""
    history: list[Turn] = []
    print("Ask about the articles (empty line or Ctrl-D to quit).", file=sys.stderr)
    while True:
        try:
            question = input("? ").strip()
        except (EOFError, KeyboardInterrupt):
            print(file=sys.stderr)
            return 0
        if not question:
            return 0
        try:
            answer = engine.ask(question, history=history, only=only)
        except QAError as exc:
            print(f"Error: {exc}", file=sys.stderr)
            continue
        print(json.dumps(answer.to_dict(), ensure_ascii=False) if as_json else f"{answer}\n")
        history = engine.recent_history(history + [answer])  # the latest turns that fit, with what they cited


class _PaceLine:
    """Long-run progress on stderr with the time left: one rewritten line on a terminal, else a line every 10 s."""

    EVERY_S = 10.0

    def __init__(self):
        self.pace = Pace()
        self.shown = 0.0
        self.tty = sys.stderr.isatty()

    def __call__(self, stage: str, done: int, total: int) -> None:
        text = self.pace.text(stage, done, total)
        now = time.monotonic()
        if self.tty:
            end = "\n" if not total or done >= total else ""
            print(f"\r{text}\x1b[K", end=end, file=sys.stderr, flush=True)
        elif not total or done >= total or now - self.shown >= self.EVERY_S:
            print(text, file=sys.stderr, flush=True)
            self.shown = now


def _index(argv: list[str]) -> int:
    """``python -m qa index``: bring the store up to date with the articles, in-process or on Ray."""
    parser = argparse.ArgumentParser(
        prog="python -m qa index",
        description="Index the articles into the store: only new or changed ones are embedded, articles gone "
                    "from the folder are removed, and an interrupted run resumes where it was flushed.")
    add_arguments(parser)
    parser.add_argument("--ray", metavar="ADDRESS",
                        help="run repair, splitting and embedding on Ray: 'local' starts one here, or a cluster "
                             "address ('auto', 'ray://head:10001'); needs pip install 'article-qa[scale]'")
    parser.add_argument("--flush-every", type=float, default=None, metavar="SECONDS",
                        help="make what is indexed durable at least this often (default: every 30 s, "
                             "less often when a flush takes over 3 s)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="warning: %(message)s", stream=sys.stderr)

    def run() -> int:
        from .articles import article_files
        from .config import Settings
        from .engine import load_model
        from .ingest import index_articles, open_for_writing
        from .web import mirror

        progress = _PaceLine()
        settings = mirror(Settings.resolve(**from_arguments(args)), refresh=True, progress=progress)
        article_files(settings.articles)  # a missing or empty folder is said before the model loads
        progress("model", 0, 0)
        embedder = load_model(settings)
        with open_for_writing(settings, embedder, progress) as store:
            report = index_articles(settings, store, embedder, progress, ray_address=args.ray,
                                    flush_seconds=args.flush_every)
        for warning in report.warnings:
            logging.warning("%s", warning)
        rate = f", {report.passages_per_second:.1f} passages/s" if report.passages else ""
        print(f"indexed {len(report.indexed)} article(s) ({report.passages} passages{rate}), "
              f"{report.unchanged} unchanged, {len(report.removed)} removed, in {report.seconds:.1f} s")
        return 0

    return exit_code(run)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "index":
        return _index(argv[1:])
    if argv and argv[0] == "fit":
        from .fit import main as fit_main

        logging.basicConfig(level=logging.WARNING, format="warning: %(message)s", stream=sys.stderr)
        return exit_code(lambda: fit_main(argv[1:]))
    eval_mode = bool(argv) and argv[0] == "eval"
    args = _parser("python -m qa eval" if eval_mode else "python -m qa", eval_mode).parse_args(
        argv[1:] if eval_mode else argv
    )
    logging.basicConfig(level=logging.WARNING, format="warning: %(message)s", stream=sys.stderr)

    def run() -> int:
        if eval_mode:
            from .evaluate import evaluate, format_report, read_items

            items = read_items(args.questions)
            report = evaluate(_engine(args), items, whole=args.whole)
            print(json.dumps(report, indent=1, ensure_ascii=False) if args.json else format_report(report))
            return 0
        engine = _engine(args)
        engine.check_only(args.only)  # an unknown name is an error before any question
        if not args.question:
            return _interactive(engine, args.json, args.only)
        answer = engine.ask(" ".join(args.question), only=args.only)
        print(json.dumps(answer.to_dict(), indent=1, ensure_ascii=False) if args.json else answer)
        return 0

    return exit_code(run)


if __name__ == "__main__":
    sys.exit(main())
