"""The browser chat over the ``qa`` engine: loading, HTML, the page and its look.

    loading.py   the engine loading in the background (EngineHandle), progress on the terminal
    render.py    answers, sources, the reader, articles and status as escaped HTML (pure functions)
    page.py      the page's layout and events (Page, build_demo)
    style.css    its look, desktop and phone;  page.js  its behaviour in the browser

Imports only what ``qa`` exports. Leaves out: serving (``app.py``).
"""

from .loading import EngineHandle, LoadState, TerminalProgress
from .page import CSS, HEAD, SEED_EXAMPLES, THEME, Page, build_demo

__all__ = ["CSS", "HEAD", "SEED_EXAMPLES", "THEME", "EngineHandle", "LoadState", "Page", "TerminalProgress",
           "build_demo"]
