"""Command line: ``python -m qa "Who attended?"``, an interactive prompt, or ``eval``.

    python -m qa "Who attended the talks?"          answer and numbered sources
    python -m qa                                    interactive; follow-ups use the conversation
    python -m qa eval questions.jsonl [--json]      quality and latency on labelled questions
    python -m qa fit                                refit answering's weights (see qa/fit.py)

Only parsing, calling the engine and printing live here. Errors are one
``Error: ...`` line on stderr (exit 1; usage errors exit 2).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from . import load
from .config import add_arguments, from_arguments
from .engine import Engine
from .errors import QAError, exit_code
from .progress import progress_text


def _parser(prog: str, eval_mode: bool) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Evaluate on labelled questions." if eval_mode else "Ask questions of news articles.",
    )
    if eval_mode:
        parser.add_argument("questions", type=Path, help="JSONL file of labelled questions")
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
    return load(progress=_progress, **from_arguments(args))


def _interactive(engine: Engine, as_json: bool, only: list[str] | None = None) -> int:
    """A prompt that keeps the conversation, so follow-up questions work."""
    history: list[tuple[str, str]] = []
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
        history = engine.recent_history(history + [(question, answer.text)])  # the latest turns that fit


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
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
            report = evaluate(_engine(args), items)
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
