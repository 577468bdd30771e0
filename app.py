"""The chat page: ask the articles questions in a browser, read every answer in its sources.

    python app.py                                  seeds/ on http://127.0.0.1:7860
    python app.py --articles my/news --port 8000   other articles, other port
    python app.py --share                          also ask Gradio for a public link

The page holds no retrieval or answering logic: it asks the same ``Engine`` as
``qa.ask()`` and formats its ``Answer``: the answer with its [n] markers in the
chat, each citation's passage (cited sentence highlighted) beside it. All
article and user text is HTML-escaped before it reaches the page. The engine
loads in a background thread, so the page is served at once and a question
asked early waits for it. The answer is also a named API endpoint, ``/ask``,
returning ``Answer.to_dict()``; it answers from the base articles and the
shared uploads. Uploads are private to the browser that made them (an id the
page keeps in the browser's storage; ``qa.browsers``) unless the app runs
with ``--shared-uploads``. Gradio's temporary files live in the cache folder
and are deleted after an hour. Leaves out: authentication.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import io
import logging
import os
import re
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from embeddings import offline  # first: telemetry off before anything else is imported
from qa.config import DEFAULT_CACHE, ENV

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _cache_dir(argv: list[str] | None) -> Path:
    """The cache folder ``--cache-dir`` or the environment names, known before Gradio is imported (it reads
    GRADIO_TEMP_DIR then); the rest of the settings are resolved later, as usual."""
    early = argparse.ArgumentParser(add_help=False)
    early.add_argument("--cache-dir")
    known, _ = early.parse_known_args(argv or [])
    return Path(known.cache_dir or os.environ.get(ENV["cache_dir"]) or DEFAULT_CACHE).expanduser()


offline.scratch_in(_cache_dir(sys.argv[1:] if __name__ == "__main__" else None))

import gradio as gr  # noqa: E402
from gradio.components.api_component import Api  # noqa: E402

from qa import Answer, Citation, Engine, QAError, Settings, load  # noqa: E402
from qa.articles import check_size  # noqa: E402
from qa.browsers import Browsers, Upload  # noqa: E402
from qa.config import DEFAULT_ARTICLES, add_arguments, from_arguments  # noqa: E402
from qa.corpus import ArticleInfo  # noqa: E402
from qa.errors import exit_code  # noqa: E402
from qa.uploads import browser_secret, new_owner, remove_unused, valid_owner  # noqa: E402

log = logging.getLogger("app")

Progress = Callable[[str, int, int], None]

# Questions the seed article answers; shown as buttons when the seeds are loaded.
SEED_EXAMPLES = (
    "Who attended the talks?",
    "Where will the talks continue?",
    "How did Macron describe the talks?",
    "How many countries are in the coalition?",
    "What happened in Dnipro?",
)
# Answering takes ~10 ms of CPU, so a few workers keep a 2-core machine busy
# without thrashing; up to QUEUE_SIZE requests wait their turn, the rest are
# told the queue is full instead of timing out.
CONCURRENCY = 4
QUEUE_SIZE = 200
LOAD_TIMEOUT = 600.0  # seconds a question waits for the engine to finish loading
STAGES = {"model": "loading the model", "reading": "reading articles", "embedding": "embedding passages",
          "indexing": "building the index", "waiting": "waiting for another process to finish indexing"}
# Gradio's temporary files (uploads as received) are deleted hourly once an hour old;
# each upload's copy is deleted as soon as it is read.
DELETE_CACHE = (3600, 3600)
BROWSER_KEY = "article-qa-browser"  # where the page keeps its browser id (encrypted) in localStorage


# ---------------------------------------------------------------- the engine, loading in the background

class EngineHandle:
    """The engine, or the state of its loading: the page is served while it loads.

    ``EngineHandle(engine)`` wraps a loaded engine; ``EngineHandle(loader)``
    runs ``loader(progress)`` in a thread once ``start()`` is called.
    """

    def __init__(self, source: Engine | Callable[[Progress], Engine], on_progress: Progress | None = None):
        self._ready = threading.Event()
        self._engine: Engine | None = None
        self._error: BaseException | None = None
        self._loader: Callable[[Progress], Engine] | None = None
        self._on_progress = on_progress
        self.stage, self.done, self.total = "model", 0, 0
        self.seconds = 0.0
        if isinstance(source, Engine):
            self._engine = source
            self._ready.set()
        else:
            self._loader = source
        self._thread: threading.Thread | None = None

    def start(self) -> "EngineHandle":
        if self._loader is not None and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="engine-loader", daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        began = time.perf_counter()
        try:
            self._engine = self._loader(self._progress)  # type: ignore[misc]
        except BaseException as exc:  # handed to whoever waits for the engine
            self._error = exc
        finally:
            self.seconds = time.perf_counter() - began
            self._ready.set()

    def _progress(self, stage: str, done: int, total: int) -> None:
        self.stage, self.done, self.total = stage, done, total
        if self._on_progress:
            self._on_progress(stage, done, total)

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    @property
    def error(self) -> BaseException | None:
        return self._error

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for loading to end (ready or failed); False on timeout."""
        self.start()
        return self._ready.wait(timeout)

    def get(self, timeout: float | None = LOAD_TIMEOUT) -> Engine:
        """The engine, waiting for it to load; raises the loading error, or TimeoutError."""
        if not self.wait(timeout):
            raise TimeoutError("the articles are still loading; try again in a moment")
        if self._error is not None:
            raise self._error
        assert self._engine is not None
        return self._engine

    @property
    def progress_text(self) -> str:
        """What loading is doing now, e.g. "embedding passages 30/55"."""
        text = STAGES.get(self.stage, self.stage)
        return f"{text} {self.done}/{self.total}" if self.total and self.stage != "indexing" else text


# ---------------------------------------------------------------- formatting (text in, escaped HTML out)

# Characters that mean something to HTML or to the chat's Markdown renderer,
# written as entities so an article's "<script>", "**bold**", "$x$" or
# "[link](url)" shows as the characters it is.
_ENTITIES = {ord(c): f"&#{ord(c)};" for c in "\\`*_{}[]()#+-!|~$<>&\"'="}
_MARKER = re.compile(r"&#91;(\d+)&#93;")
_TAG = re.compile(r"<[^>]*>")


def esc(text: str) -> str:
    """``text`` as inert HTML: no tags, no Markdown, no LaTeX."""
    return str(text).translate(_ENTITIES)


def _paragraphs(escaped: str) -> str:
    parts = [p.replace("\n", "<br>") for p in re.split(r"\n\s*\n", escaped.strip()) if p.strip()]
    return "".join(f"<p>{p}</p>" for p in parts)


def answer_html(answer: Answer) -> str:
    """The chat bubble of an answer: its text with [n] markers as badges; refusals look different."""
    body = _MARKER.sub(r'<span class="qa-cite">&#91;\1&#93;</span>', esc(answer.text))
    kind = "qa-answer" if answer.answered else "qa-answer qa-refusal"
    return f'<div class="{kind}">{body}</div>'


def question_html(question: str) -> str:
    return f'<div class="qa-question">{esc(" ".join(question.split()))}</div>'


def notice_html(text: str, kind: str = "pending") -> str:
    """A chat message that is not an answer (loading, error); left out of the history."""
    return f'<div class="qa-notice qa-{kind}">{esc(text)}</div>'


def plain_text(content: Any) -> str:
    """The text of a chat message's content: a string or Gradio 6's typed blocks, tags stripped."""
    if isinstance(content, str):
        raw = content
    elif isinstance(content, dict):
        raw = str(content.get("text") or "") if content.get("type", "text") == "text" else ""
    elif isinstance(content, (list, tuple)):
        raw = " ".join(plain_text(part) for part in content)
    else:
        raw = ""
    return html.unescape(_TAG.sub("", raw)).strip()


def _is_notice(content: Any) -> bool:
    return "qa-notice" in str(content)


def history_pairs(messages: Iterable[Any] | None) -> list[tuple[str, str]]:
    """Chat messages (dicts with role and content) as the (question, answer text) pairs ``ask`` takes.

    Loading and error notices are left out; a question without an answer is dropped.
    """
    pairs: list[tuple[str, str]] = []
    question: str | None = None
    for message in messages or []:
        if isinstance(message, dict):
            role, content = message.get("role"), message.get("content")
        else:
            role, content = getattr(message, "role", None), getattr(message, "content", None)
        if role == "user":
            question = plain_text(content)
        elif role == "assistant" and question is not None and not _is_notice(content):
            pairs.append((question, plain_text(content)))
            question = None
    return pairs


def api_history(history: Any) -> Any:
    """The API's history as ``ask`` takes it: chat messages (role/content) become (question, answer) pairs.

    Anything else goes to the engine as it came: ``Engine.check_history`` is
    the one place that checks a history's shape and size.
    """
    if isinstance(history, (list, tuple)) and history and all(isinstance(m, dict) and "role" in m for m in history):
        return history_pairs(history)
    return history


def passage_html(c: Citation) -> str:
    """The citation's passage with its cited sentence marked."""
    text, sentence, start = c.text, c.sentence, c.sentence_start
    if text[start:start + len(sentence)] != sentence:
        found = text.find(sentence)
        start = found if found >= 0 else -1
    if start < 0 or not sentence:
        return _paragraphs(esc(text))
    marked = (esc(text[:start]) + '<mark class="qa-mark">' + esc(sentence) + "</mark>"
              + esc(text[start + len(sentence):]))
    return _paragraphs(marked)


def _paras(span: Iterable[int]) -> str:
    a, b = list(span)[:2] if span else (0, 0)
    return f"paragraph {a}" if a == b else f"paragraphs {a}\u2013{b}"


def sources_html(answer: Answer | None) -> str:
    """The sources panel for an answer: each [n] with title, section, score, and its passage."""
    if answer is None:
        return ('<div class="qa-sources qa-empty"><div class="qa-panel-title">Sources</div>'
                "<p>Each <span class=\"qa-cite\">&#91;n&#93;</span> in an answer is shown here: the article, "
                "the section, and the passage with the cited sentence highlighted. Click an earlier answer in the "
                "chat to bring its sources back.</p></div>")
    if answer.answered:
        head = f'<div class="qa-panel-title">Sources for \u201c{esc(answer.question)}\u201d</div>'
    else:
        head = (f'<div class="qa-panel-title">No answer to \u201c{esc(answer.question)}\u201d</div>'
                '<p class="qa-closest">Closest passages, for reference: none of them answers the question.</p>')
    cards = []
    for c in answer.citations:
        title = esc(c.title or c.article)
        cards.append(
            f'<div class="qa-source" id="qa-source-{c.n}">'
            f'<div class="qa-source-head"><span class="qa-cite">&#91;{c.n}&#93;</span> '
            f'<span class="qa-title">{title}</span>'
            f'<span class="qa-score" title="retrieval and answer score">score {c.score:.2f}</span></div>'
            f'<div class="qa-section">\u00a7 {esc(c.section_label)} '
            f'<span class="qa-where">\u00b7 {esc(c.article)}, {_paras(c.paragraphs)}</span></div>'
            f'<div class="qa-passage">{passage_html(c)}</div></div>'
        )
    kind = "qa-sources" if answer.answered else "qa-sources qa-refused"
    return f'<div class="{kind}">{head}{"".join(cards)}</div>'


def _section_label(header: str) -> str:
    return {"": "Lead", "(end matter)": "End matter"}.get(header, header)


def articles_html(articles: list[ArticleInfo]) -> str:
    """The loaded articles as a table: title, file, sections, passages."""
    rows = []
    for a in articles:
        sections = " \u00b7 ".join(esc(_section_label(s)) for s in a.sections)
        badge = ' <span class="qa-badge">uploaded</span>' if a.uploaded else ""
        rows.append(f"<tr><td><b>{esc(a.title)}</b>{badge}<div class=\"qa-file\">{esc(a.name)}</div></td>"
                    f"<td class=\"qa-sections\">{sections}</td><td class=\"qa-num\">{a.passages}</td></tr>")
    total = sum(a.passages for a in articles)
    return (f'<table class="qa-articles"><thead><tr><th>Article ({len(articles)})</th><th>Sections</th>'
            f'<th class="qa-num">Passages ({total})</th></tr></thead><tbody>{"".join(rows)}</tbody></table>')


def status_html(handle: EngineHandle, engine: Engine | None = None) -> str:
    """The line under the title: loading progress, the loading error, or what is loaded (for this browser)."""
    if not handle.ready:
        text = handle.progress_text
        return f'<div class="qa-status qa-loading">{esc(text[:1].upper() + text[1:])}\u2026 (you can ask already)</div>'
    if handle.error is not None:
        return f'<div class="qa-status qa-failed">Could not load the articles: {esc(handle.error)}</div>'
    engine = engine or handle.get()
    articles = engine.articles
    passages = sum(a.passages for a in articles)
    noun = "article" if len(articles) == 1 else "articles"
    return (f'<div class="qa-status qa-ready">Ready \u00b7 {len(articles)} {noun}, {passages} passages '
            f'\u00b7 model {esc(engine.settings.model)} \u00b7 offline</div>')


def upload_message(text: str, ok: bool) -> str:
    kind = "qa-ok" if ok else "qa-bad"
    return f'<div class="qa-upload-msg {kind}">{esc(text)}</div>'


# ---------------------------------------------------------------- the page

CSS = """
.gradio-container { max-width: 1400px !important; }
#qa-header { display: flex; align-items: baseline; gap: 14px; flex-wrap: wrap; margin-bottom: -6px; }
#qa-header h1 { font-size: 1.5rem; margin: 0; }
#qa-header .qa-sub { color: var(--body-text-color-subdued); }
.qa-status { font-size: 0.9rem; padding: 2px 10px; border-radius: 999px; display: inline-block; }
.qa-ready { background: #e8f5e9; color: #1b5e20; }
.qa-loading { background: #fff8e1; color: #7a5b00; }
.qa-failed { background: #ffebee; color: #b71c1c; }
.qa-cite { display: inline-block; font-size: 0.78em; font-weight: 600; line-height: 1.2; padding: 0 5px;
  margin: 0 2px; border-radius: 6px; background: #e0e7ff; color: #3730a3; vertical-align: 1px; }
.qa-answer { line-height: 1.55; cursor: pointer; }
.qa-refusal { color: #6b4e00; background: #fff8e1; border-left: 4px solid #f0b400; padding: 6px 10px;
  border-radius: 6px; font-style: italic; }
.qa-refusal .qa-cite { font-style: normal; }
.qa-notice { color: var(--body-text-color-subdued); font-style: italic; }
.qa-error { color: #b71c1c; }
#qa-sources-box { max-height: 600px; overflow-y: auto; }
.qa-sources { font-size: 0.92rem; }
.qa-panel-title { font-weight: 600; font-size: 1rem; margin: 2px 0 8px 0; }
.qa-empty p, .qa-closest { color: var(--body-text-color-subdued); }
.qa-source { border: 1px solid var(--border-color-primary); border-radius: 10px; padding: 8px 12px;
  margin-bottom: 10px; background: var(--background-fill-primary); }
.qa-source-head { display: flex; align-items: center; gap: 6px; }
.qa-title { font-weight: 600; }
.qa-score { margin-left: auto; font-size: 0.8rem; color: var(--body-text-color-subdued);
  font-variant-numeric: tabular-nums; white-space: nowrap; }
.qa-section { font-size: 0.85rem; color: #3730a3; margin: 2px 0 6px 0; }
.qa-where { color: var(--body-text-color-subdued); }
.qa-passage p { margin: 0 0 6px 0; line-height: 1.5; color: var(--body-text-color-subdued); }
.qa-passage mark.qa-mark { background: #fde68a; color: #111; padding: 1px 2px; border-radius: 3px; }
.qa-refused .qa-passage mark.qa-mark { background: #eef0f4; }
.qa-articles { width: 100%; border-collapse: collapse !important; font-size: 0.9rem; border: none !important; }
.qa-articles th, .qa-articles td { text-align: left; padding: 6px 8px !important; border: none !important;
  border-bottom: 1px solid var(--border-color-primary) !important; vertical-align: top; background: none !important; }
.qa-articles tr { border: none !important; }
.qa-articles th { font-weight: 600; color: var(--body-text-color-subdued); }
.qa-articles .qa-num { text-align: right; width: 130px; white-space: nowrap; }
.qa-articles td:first-child { min-width: 200px; }
.qa-file { font-size: 0.8rem; color: var(--body-text-color-subdued); }
.qa-sections { color: var(--body-text-color-subdued); }
.qa-badge { font-size: 0.72rem; background: #e0e7ff; color: #3730a3; border-radius: 6px; padding: 0 5px; }
.qa-upload-msg { padding: 6px 10px; border-radius: 6px; margin-top: 4px; }
.qa-ok { background: #e8f5e9; color: #1b5e20; }
.qa-bad { background: #ffebee; color: #b71c1c; }
.dark .qa-ready, .dark .qa-ok { background: #14532d; color: #bbf7d0; }
.dark .qa-loading { background: #422006; color: #fde68a; }
.dark .qa-failed, .dark .qa-bad { background: #450a0a; color: #fecaca; }
.dark .qa-cite, .dark .qa-badge { background: #312e81; color: #e0e7ff; }
.dark .qa-section { color: #a5b4fc; }
.dark .qa-refusal { color: #fde68a; background: rgba(240, 180, 0, 0.12); }
.dark .qa-error { color: #fca5a5; }
.dark .qa-refused .qa-passage mark.qa-mark { background: #374151; color: #f3f4f6; }
#qa-examples { flex-wrap: wrap; gap: 6px !important; }
#qa-examples button { flex: 0 0 auto !important; width: auto !important; min-width: 0 !important;
  font-size: 0.85rem; padding: 4px 10px; }
#qa-examples > .qa-try-block { flex: 0 0 auto !important; min-width: 0 !important; width: auto !important; }
#qa-examples .qa-try { align-self: center; color: var(--body-text-color-subdued); font-size: 0.85rem; }
"""

# Fonts bundled with Gradio or on the system: the page loads nothing from the internet.
THEME = gr.themes.Soft(
    primary_hue="indigo", secondary_hue="slate",
    font=[gr.themes.LocalFont("IBM Plex Sans"), "ui-sans-serif", "system-ui", "sans-serif"],
    font_mono=[gr.themes.LocalFont("IBM Plex Mono"), "ui-monospace", "monospace"],
)


class Page:
    """What the page's events do, over one engine handle; testable without a browser.

    ``browser`` arguments are the id the page keeps in the browser's storage
    (see ``start``): each browser asks its own view of the articles.
    """

    def __init__(self, handle: EngineHandle):
        self.handle = handle
        self._browsers: Browsers | None = None
        self._lock = threading.Lock()

    def browsers(self, timeout: float | None = LOAD_TIMEOUT) -> Browsers:
        """The per-browser engines and upload queue, once the base engine has loaded."""
        engine = self.handle.get(timeout)
        with self._lock:
            if self._browsers is None or self._browsers.base is not engine:
                self._browsers = Browsers(engine)
            return self._browsers

    def engine(self, browser: str | None) -> Engine:
        """The engine this browser asks (waiting for loading): its own if it has uploads, else the base one."""
        if valid_owner(browser) is None:
            return self.handle.get()
        return self.browsers().engine(browser)

    def start(self, browser: str | None) -> tuple:
        """Page load: keep the browser's id (or give it one), then show its status and articles."""
        browser = valid_owner(browser) or new_owner()
        return (browser, *self.refresh(browser))

    def respond(self, message: str, chat: list | None, panels: dict | None = None,
                browser: str | None = None) -> Iterator[tuple]:
        """Chat: append the question and the engine's answer; the sources panel follows it.

        Yields (chat messages, sources HTML, text box, panels); ``panels`` keeps
        each answer's sources by its message index, so clicking an earlier
        answer shows its sources again. A question asked while the engine loads
        shows a "One moment" note, then its answer. Only the latest turns that
        fit the history limits go with the question.
        """
        handle = self.handle
        chat = list(chat or [])
        panels = dict(panels or {})
        question = " ".join((message or "").split())
        if not question:
            gr.Warning("Type a question about the articles first.")
            yield chat, gr.skip(), gr.skip(), panels
            return
        shown = chat + [{"role": "user", "content": question_html(question)}]
        while not handle.ready:  # the page works while the engine loads: say so, then answer
            note = f"One moment: {handle.progress_text}\u2026 the answer follows as soon as it is ready."
            yield shown + [{"role": "assistant", "content": notice_html(note)}], gr.skip(), "", panels
            handle.wait(0.5)
        try:
            engine = self.engine(browser)
            answer = engine.ask(question, history=engine.recent_history(history_pairs(chat)))
        except QAError as exc:  # e.g. an over-long question: keep it in the box to edit
            gr.Warning(str(exc))
            yield chat, gr.skip(), message, panels
            return
        except Exception as exc:  # noqa: BLE001 - the page says what went wrong instead of hanging
            log.exception("answering %r failed", question)
            yield (shown + [{"role": "assistant", "content": notice_html(f"Error: {exc}", "error")}],
                   gr.skip(), "", panels)
            return
        if self._browsers is not None:
            self._browsers.answered(engine, answer)
        panel = sources_html(answer)
        panels[len(shown)] = panel
        yield shown + [{"role": "assistant", "content": answer_html(answer)}], panel, "", panels

    def clear(self) -> tuple:
        return [], sources_html(None), "", {}

    def show_sources(self, panels: dict | None, evt: gr.SelectData) -> Any:
        """A click on an earlier answer brings its sources back into the panel."""
        index = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        return (panels or {}).get(index, gr.skip())

    def refresh(self, browser: str | None = None) -> tuple:
        """Status line and this browser's article list; the timer stops once loading has ended."""
        handle = self.handle
        if handle.ready and handle.error is None:
            engine = self.engine(browser)
            return status_html(handle, engine), articles_html(engine.articles), gr.Timer(active=False)
        return status_html(handle), "", gr.Timer(active=not handle.ready)

    def add_files(self, files: Any, browser: str | None = None, progress: gr.Progress = gr.Progress()) -> tuple:
        """Upload: check, store and index each file, one at a time in the background; a bad file changes
        nothing and says why. The progress line says how many uploads are ahead, then how far indexing is.

        Returns (message HTML, article list HTML, status HTML, None to empty the upload box, browser id).
        """
        paths = [files] if isinstance(files, (str, Path)) else list(files or [])
        if not paths:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        browsers = self.browsers()
        browser = valid_owner(browser) or new_owner()
        limit = browsers.settings.max_article_bytes
        messages, ok_all = [], True
        queued: list[Upload] = []
        for path in paths:
            name = Path(path).name
            try:
                check_size(name, os.path.getsize(path), limit)  # before reading a huge file into memory
                queued.append(browsers.submit(browser, name, Path(path).read_bytes()))
            except QAError as exc:
                ok_all = False
                messages.append(f"Not added: {exc}. Nothing was changed.")
            except OSError as exc:
                ok_all = False
                messages.append(f"Not added: {name} could not be read ({exc.strerror or exc}).")
            finally:
                _discard_upload(Path(path))
        for upload in queued:
            while True:  # the progress line: how many are ahead, then how far indexing is
                progress(upload.fraction, desc=upload.text)
                if upload.finished.wait(0.25):
                    break
            if upload.error is not None:
                ok_all = False
                messages.append(f"Not added: {upload.error}. Nothing was changed.")
                continue
            info = upload.info
            sections = len(info.sections)
            verb = "Replaced your" if upload.replaced else "Added"
            who = "everyone using this app" if browsers.shared else "only this browser"
            messages.append(f"{verb} \u201c{info.title}\u201d ({info.name}): {info.passages} "
                            f"passage{'s' if info.passages != 1 else ''} in {sections} "
                            f"section{'s' if sections != 1 else ''}. You can ask about it now; {who} can see it.")
        engine = browsers.engine(browser)
        return (upload_message(" ".join(messages), ok_all), articles_html(engine.articles),
                status_html(self.handle, engine), None, browser)

    def api_ask(self, question: str, history: list[list[str]] | None = None) -> dict[str, Any]:
        """Answer a question from the articles, as Answer.to_dict() JSON: text with [n] markers, citations.

        history (optional): earlier turns as [question, answer_text] pairs, so follow-ups know what "he"
        means; at most the latest 20 turns and 20,000 characters by default.
        """
        try:
            engine = self.handle.get()
            answer = engine.ask(question, history=api_history(history))
        except (QAError, TimeoutError, TypeError) as exc:
            raise gr.Error(str(exc), print_exception=False) from None
        if self._browsers is not None:
            self._browsers.answered(engine, answer)
        return answer.to_dict()


def _discard_upload(path: Path) -> None:
    """Delete Gradio's copy of an uploaded file once read (and the folder Gradio made for it, when empty)."""
    with contextlib.suppress(OSError):
        path.unlink()
        if path.parent.parent.resolve() == Path(gr.utils.get_upload_folder()).resolve():
            path.parent.rmdir()


class _Blocks(gr.Blocks):
    """Blocks whose API endpoints take calls that leave out trailing parameters with defaults.

    ``gradio_client`` fills them in itself; a raw ``POST /gradio_api/call/ask``
    with only the question otherwise fails with "didn't receive enough input
    values" (Gradio checks the count before any default applies).
    """

    async def preprocess_data(self, block_fn, inputs, state, explicit_call=False):  # type: ignore[override]
        wanted = block_fn.inputs
        if len(inputs) < len(wanted) and all(isinstance(b, Api) for b in wanted[len(inputs):]):
            inputs = list(inputs) + [b.value for b in wanted[len(inputs):]]
        return await super().preprocess_data(block_fn, inputs, state, explicit_call)


def build_demo(source: Engine | EngineHandle | Callable[[Progress], Engine],
               examples: Iterable[str] | None = SEED_EXAMPLES, settings: Settings | None = None) -> gr.Blocks:
    """The page and its ``/ask`` API over an engine (or a handle to one that is loading).

    ``settings`` (default: the engine's, else from the environment) give the
    upload limits shown and the key of the browser id. ``demo.page`` is the
    ``Page`` whose methods the events call.
    """
    if settings is None:
        settings = source.settings if isinstance(source, Engine) else Settings.resolve()
    handle = source if isinstance(source, EngineHandle) else EngineHandle(source)
    handle.start()
    page = Page(handle)
    examples = list(examples or [])
    privacy = ("shared with everyone using this app" if settings.shared_uploads
               else "only this browser sees it")

    with _Blocks(title="Article QA", analytics_enabled=False, delete_cache=DELETE_CACHE) as demo:
        browser = gr.BrowserState("", storage_key=BROWSER_KEY, secret=browser_secret(settings))
        with gr.Row(elem_id="qa-header"):
            gr.HTML('<h1>Article QA</h1><span class="qa-sub">Answers quoted from the articles, '
                    "each sentence cited [n]. Runs offline.</span>", padding=False)
            status = gr.HTML(status_html(handle), padding=False)
        with gr.Row(equal_height=False):
            with gr.Column(scale=6, min_width=420):
                chatbot = gr.Chatbot(
                    label="Chat", height=430, elem_id="qa-chat",
                    latex_delimiters=[], feedback_options=None, buttons=[],
                    placeholder=("**Ask about the articles.** Every sentence of an answer is quoted from an "
                                 "article and numbered [n]; the Sources panel shows it in its passage. "
                                 "Follow-up questions (\u201cWhat did he say?\u201d) use the conversation; click an earlier "
                                 "answer to see its sources again."),
                )
                with gr.Row():
                    msg = gr.Textbox(placeholder="Ask a question about the articles\u2026",
                                     show_label=False, scale=8, autofocus=True, max_lines=4,
                                     elem_id="qa-question", submit_btn=False)
                    send = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="qa-send")
                    clear_btn = gr.Button("Clear", variant="secondary", scale=1, min_width=80, elem_id="qa-clear")
                example_buttons = []
                if examples:
                    with gr.Row(elem_id="qa-examples"):
                        gr.HTML('<span class="qa-try">Try:</span>', elem_classes=["qa-try-block"], padding=False)
                        for text in examples:
                            example_buttons.append(gr.Button(text, size="sm", variant="secondary"))
            with gr.Column(scale=5, min_width=360, elem_id="qa-sources-box"):
                sources = gr.HTML(sources_html(None), elem_id="qa-sources", padding=False)
        with gr.Accordion("Articles", open=True, elem_id="qa-articles-box"):
            with gr.Row(equal_height=False):
                with gr.Column(scale=3):
                    article_list = gr.HTML("", elem_id="qa-article-list", padding=False)
                with gr.Column(scale=2, min_width=300):
                    upload = gr.File(label=f"Add an article: a .txt or .md file, up to "
                                           f"{settings.max_article_bytes / 1e6:.0f} MB ({privacy})",
                                     file_count="multiple", elem_id="qa-upload", height=120)
                    upload_msg = gr.HTML("", elem_id="qa-upload-msg", padding=False)

        panels = gr.State({})  # this session's sources panel of each answer, by message index
        answer_outputs = [chatbot, sources, msg, panels]
        common = dict(outputs=answer_outputs, concurrency_id="answers", concurrency_limit=CONCURRENCY,
                      show_progress="minimal", show_progress_on=[chatbot], api_visibility="private")
        msg.submit(page.respond, [msg, chatbot, panels, browser], **common)
        send.click(page.respond, [msg, chatbot, panels, browser], **common)
        for button in example_buttons:
            button.click(page.respond, [button, chatbot, panels, browser], **common)
        clear_btn.click(page.clear, None, answer_outputs, queue=False, api_visibility="private")
        chatbot.clear(page.clear, None, answer_outputs, queue=False, api_visibility="private")
        chatbot.select(page.show_sources, panels, sources, queue=False, api_visibility="private",
                       show_progress="hidden")

        timer = gr.Timer(0.5)
        timer.tick(page.refresh, browser, [status, article_list, timer], queue=False, api_visibility="private",
                   show_progress="hidden")
        demo.load(page.start, browser, [browser, status, article_list, timer], queue=False,
                  api_visibility="private", show_progress="hidden")
        # Many may wait here; the indexing itself runs one at a time on the Browsers thread.
        upload.upload(page.add_files, [upload, browser], [upload_msg, article_list, status, upload, browser],
                      concurrency_id="uploads", concurrency_limit=CONCURRENCY, api_visibility="private")

        gr.api(page.api_ask, api_name="ask", concurrency_id="answers", concurrency_limit=CONCURRENCY)

    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_SIZE)
    demo.page = page  # type: ignore[attr-defined]  # for tests and main()
    return demo


# ---------------------------------------------------------------- serving

SHARE_FAILED = "Share link: could not reach the Gradio tunnel (no internet?); serving locally only."


def launch(demo: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, share: bool = False,
           block: bool = True, max_file_size: int = 50_000_000) -> tuple[str, str | None]:
    """Serve the page; returns (local URL, public URL or None). Gradio's own chatter is kept off the terminal.

    Without internet, ``share=True`` cannot reach the tunnel: one line says so
    and the page keeps being served locally.
    """
    chatter = io.StringIO()
    with contextlib.redirect_stdout(chatter):
        demo.launch(server_name=host, server_port=port, share=share, prevent_thread_lock=True, quiet=True,
                    css=CSS, theme=THEME, footer_links=["api"], show_error=True,
                    max_file_size=max_file_size)
    log.debug("gradio said: %s", chatter.getvalue())
    local = f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{demo.server_port}/"
    print(f"Article QA is running at {local}  (Ctrl-C to stop)", flush=True)
    public = demo.share_url if share else None
    if share:
        print(f"Public link: {public}" if public else SHARE_FAILED, flush=True)
    if block:
        demo.block_thread()
    return local, public


class TerminalProgress:
    """Loading progress on stderr: one rewritten line on a terminal, a line per stage otherwise."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self._last = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        label = STAGES.get(stage, stage)
        text = f"  {label} {done}/{total}" if total and stage != "indexing" else f"  {label}"
        if self.tty:
            end = "\n" if done >= total else ""
            print(f"\r\033[K{text}", end=end, file=self.stream, flush=True)
        elif done >= total and (stage, total) != self._last:
            print(text, file=self.stream, flush=True)
        self._last = (stage, total) if done >= total else None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="app.py", description="Chat with news articles in a browser.")
    parser.add_argument("--host", default="127.0.0.1", help="address to serve on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    parser.add_argument("--share", action="store_true", help="also ask Gradio for a public link")
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
        if not Path(settings.articles).exists():
            raise QAError(f"no such file or folder: {settings.articles}")
        _check_port(args.host, args.port)
        print(f"Loading {settings.articles} with model {settings.model} (cache: {settings.cache_dir})",
              file=sys.stderr, flush=True)

        def loader(progress: Progress) -> Engine:
            remove_unused(settings)  # uploads unused for upload_days go before anything reads them
            return load(progress=progress, **from_arguments(args))

        handle = EngineHandle(loader, on_progress=TerminalProgress()).start()
        is_seed = Path(settings.articles).resolve() == DEFAULT_ARTICLES.resolve()
        demo = build_demo(handle, SEED_EXAMPLES if is_seed else (), settings)
        try:
            launch(demo, args.host, args.port, share=args.share, block=False,
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
