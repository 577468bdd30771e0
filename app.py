"""Serve the chat: ``python app.py`` parses the command line, loads the articles and serves the page.

    python app.py                                  seeds/ on http://127.0.0.1:7860
    python app.py --articles my/news --port 8000   other articles, other port
    python app.py --share                          also ask Gradio for a public link
    python app.py --mcp                            also an MCP tool "ask" at /gradio_api/mcp/

The page itself (layout, events, HTML, look) is the ``ui`` package; answering
is ``qa``'s. The engine loads in the background with progress on the
terminal, so the page is served at once. Gradio's temporary files live in the
cache folder. Leaves out: authentication.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import os
import socket
import sys
from pathlib import Path

from embeddings import offline  # first: telemetry off before anything else is imported
from qa import DEFAULT_CACHE, ENV

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Events whose timings Gradio's queue keeps for its analytics (its default: 10,000, read when the queue is
# made): with the sessions below, what grew the served app by ~11 MB per 1,000 /ask calls and page
# sessions (bench/memory.py).
os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", "500")


def _cache_dir(argv: list[str] | None) -> Path:
    """The cache folder ``--cache-dir`` or the environment names, known before Gradio is imported (it reads
    GRADIO_TEMP_DIR then); the rest of the settings are resolved later, as usual."""
    early = argparse.ArgumentParser(add_help=False)
    early.add_argument("--cache-dir")
    known, _ = early.parse_known_args(argv or [])
    return Path(known.cache_dir or os.environ.get(ENV["cache_dir"]) or DEFAULT_CACHE).expanduser()


offline.scratch_in(_cache_dir(sys.argv[1:] if __name__ == "__main__" else None))

import gradio as gr  # noqa: E402

from qa import (  # noqa: E402
    DEFAULT_ARTICLES,
    Engine,
    QAError,
    Settings,
    add_arguments,
    exit_code,
    from_arguments,
    load,
    mirror,
    remove_unused,
)
from qa.web import is_link  # noqa: E402
from ui import CSS, HEAD, SEED_EXAMPLES, THEME, EngineHandle, TerminalProgress, build_demo  # noqa: E402
from ui.loading import Progress  # noqa: E402
from ui.tool import serve_tool  # noqa: E402

log = logging.getLogger("app")


# ---------------------------------------------------------------- serving

MCP_PATH = "gradio_api/mcp/"  # where Gradio serves the MCP tools
# Sessions whose state Gradio keeps in memory (its default: 10,000). Every raw /ask call is a session, and
# the served app grew ~65 MB per 1,000 calls until ~11,000; the page's own state lives in the browser
# (BrowserState), so an evicted session loses nothing a user sees. 500 bounds that growth near 35 MB.
STATE_SESSIONS = 500
# How often the sessions Gradio's queue has finished with are let go (``_sweep_sessions``).
SWEEP_S = 30.0
SHARE_FAILED = "Share link: could not reach the Gradio tunnel (no internet?); serving locally only."


async def _sweep_sessions(demo: gr.Blocks) -> None:
    """Let go, every ``SWEEP_S``, of the queue's record of each session with nothing pending.

    Gradio's queue keeps an empty set of pending events for every session it
    has seen (every raw /ask call is one), and never drops it: with the
    analytics kept to their bound, that was what still grew. The sweep runs
    on the server's event loop, where the queue changes these records, so
    nothing reads them half-changed.
    """
    import asyncio

    async def sweep() -> None:
        queue = demo._queue
        while not queue.stopped:
            await asyncio.sleep(SWEEP_S)
            for session in [s for s, ids in queue.pending_event_ids_session.items() if not ids]:
                del queue.pending_event_ids_session[session]
                waiting = queue.pending_messages_per_session.get(session)
                if waiting is not None and waiting.empty():
                    queue.pending_messages_per_session.pop(session, None)

    _SWEEPS.add(task := asyncio.get_running_loop().create_task(sweep()))
    task.add_done_callback(_SWEEPS.discard)


_SWEEPS: set = set()  # the running sweeps (a task nothing refers to may be collected)


def launch(demo: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, share: bool = False,
           block: bool = True, max_file_size: int = 50_000_000, mcp: bool = False) -> tuple[str, str | None]:
    """Serve the page; returns (local URL, public URL or None). Gradio's own chatter is kept off the terminal.

    Without internet, ``share=True`` cannot reach the tunnel: one line says so
    and the page keeps being served locally. ``mcp``: also serve the ``/ask``
    API as the Model Context Protocol tool ``ask`` (Gradio's MCP server, streamable HTTP), whose
    result is structured content with a schema (``ui/tool.py``).
    """
    demo.extra_startup_events.append(lambda: _sweep_sessions(demo))  # run on the server's loop at launch
    chatter = io.StringIO()
    with contextlib.redirect_stdout(chatter):
        demo.launch(server_name=host, server_port=port, share=share, prevent_thread_lock=True, quiet=True,
                    css=CSS, theme=THEME, head=HEAD, footer_links=["api"], show_error=True,
                    max_file_size=max_file_size, mcp_server=mcp, state_session_capacity=STATE_SESSIONS)
    log.debug("gradio said: %s", chatter.getvalue())
    if mcp:
        serve_tool(demo)
    local = f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{demo.server_port}/"
    print(f"Article QA is running at {local}  (Ctrl-C to stop)", flush=True)
    if mcp:
        print(f"MCP tool \"ask\" at {local}{MCP_PATH}  (streamable HTTP)", flush=True)
    public = demo.share_url if share else None
    if share:
        print(f"Public link: {public}" if public else SHARE_FAILED, flush=True)
    if block:
        demo.block_thread()
    return local, public


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="app.py", description="Chat with news articles in a browser.")
    parser.add_argument("--host", default="127.0.0.1", help="address to serve on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    parser.add_argument("--share", action="store_true", help="also ask Gradio for a public link")
    parser.add_argument("--mcp", action="store_true",
                        help="also serve the ask function as a Model Context Protocol tool (at /gradio_api/mcp/)")
    parser.add_argument("--shared-uploads", action="store_true", default=None,
                        help="show every upload to everyone (default: private to the browser that made it; "
                             "QA_SHARED_UPLOADS)")
    add_arguments(parser)
    return parser


def _check_port(host: str, port: int) -> None:
    """Fail before loading anything when the address cannot be served on."""
    if not 0 < port < 65536:
        raise QAError(f"--port must be between 1 and 65535, got {port}")
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, address = infos[0]
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise QAError(f"cannot serve on {host}:{port}: {reason.lower()}; try another --port or --host") from None


def main(argv: list[str] | None = None) -> int:
    """Load the engine (progress on stderr) while the page starts; serve until Ctrl-C."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="warning: %(message)s", stream=sys.stderr)
    for noisy in ("httpx", "uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    return exit_code(lambda: _serve(args))


def _serve(args: argparse.Namespace) -> int:
    """Check the address, start the page, load the engine meanwhile, serve until Ctrl-C."""
    demo = None
    try:
        settings = Settings.resolve(**from_arguments(args))
        if not is_link(settings.articles) and not Path(settings.articles).exists():
            raise QAError(f"no such file or folder: {settings.articles}")
        _check_port(args.host, args.port)
        print(f"Loading {settings.articles} with model {settings.model} (cache: {settings.cache_dir})",
              file=sys.stderr, flush=True)

        def loader(progress: Progress) -> Engine:
            remove_unused(mirror(settings, progress=progress))  # uploads unused for upload_days go before anything reads them
            return load(progress=progress, freeze_gc=True, **from_arguments(args))  # the process is ours

        handle = EngineHandle(loader, on_progress=TerminalProgress()).start()
        is_seed = not is_link(settings.articles) and Path(settings.articles).resolve() == DEFAULT_ARTICLES.resolve()
        demo = build_demo(handle, SEED_EXAMPLES if is_seed else (), settings)
        try:
            launch(demo, args.host, args.port, share=args.share, block=False, mcp=args.mcp,
                   max_file_size=max(settings.max_article_bytes, settings.max_upload_bytes))
        except OSError as exc:  # taken between the check and the launch
            raise QAError(f"cannot serve on {args.host}:{args.port} ({exc}); try another --port") from None
        handle.wait()
        engine = handle.get(timeout=0)
        for warning in engine.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        passages = sum(a.passages for a in engine.articles)
        demo.page.browsers()  # the upload queue and its one-thread model copy, before the first upload
        print(f"Ready: {len(engine.articles)} article(s), {passages} passages, loaded in {handle.seconds:.1f} s.",
              file=sys.stderr, flush=True)
        demo.block_thread()
        return 0
    finally:
        if demo is not None:
            with contextlib.suppress(Exception), contextlib.redirect_stdout(io.StringIO()):
                demo.close()


if __name__ == "__main__":
    sys.exit(main())
