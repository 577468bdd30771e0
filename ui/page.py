"""The chat page: its layout and what its events do, over one engine handle.

The conversation is kept in the browser (``gr.BrowserState``: the answers as
``Answer.to_dict()``), so it survives a reload; the chat, the sources panel
and the export are drawn from it, and only its latest turns that fit the
history limits go to ``ask()``. Every browser asks its own view of the
articles (``qa.Browsers``). ``Page`` holds the events and is testable without
a browser; ``build_demo`` lays the page out and wires them. Leaves out:
HTML (``render.py``), the look (``style.css``), serving (``app.py``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import gradio as gr
from gradio.components.api_component import Api

from qa import (
    Answer,
    Browsers,
    Engine,
    QAError,
    Settings,
    Upload,
    browser_token,
    check_size,
    new_owner,
    progress_text,
    token_owner,
)
from qa.web import articles_from_link, check_link

from . import render
from .loading import LOAD_TIMEOUT, EngineHandle, Progress

log = logging.getLogger("app")
HERE = Path(__file__).resolve().parent
CSS = (HERE / "style.css").read_text(encoding="utf-8")
HEAD = f"<script>\n{(HERE / 'page.js').read_text(encoding='utf-8')}\n</script>"

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
# Gradio's temporary files (uploads as received) are deleted hourly once an hour old;
# each upload's copy is deleted as soon as it is read.
DELETE_CACHE = (3600, 3600)
# Gradio's upload route also leaves an empty temporary file per upload (139 after ~75 uploads, kept over
# restarts); those a minute old are done with (an upload fills its file as it arrives).
EMPTY_TEMP_AGE_S = 60.0
BROWSER_KEY = "article-qa-browser"  # where the page keeps its browser token in localStorage
# The key Gradio encrypts the page's storage with. Not a secret: Gradio serves it to every page, which
# encrypts in the browser. What guards a browser's uploads is its token's signature (qa.browser_token),
# whose key stays on the server.
STATE_KEY = "article-qa-page-state"
CONVERSATION_KEY = "article-qa-conversation"
# How long a page event waits for a browser's own engine to be read again (after a restart) before it
# answers from the base articles and says the uploads are on their way: a cached store reads in well
# under a second, a rebuild can take minutes, and a page request must not hang on it.
OWN_ENGINE_WAIT_S = 3.0  # and its conversation
# Answers kept in the browser (~5 KB each; localStorage holds ~5 MB). ask() gets fewer: the history limits.
KEEP_ANSWERS = 50

# Follows "open article" links anywhere on the page (the panel's cards and those under each answer).
OPEN_JS = """
if (!window.qaOpenBound) {
  window.qaOpenBound = true;
  document.addEventListener('click', (e) => {
    const link = e.target instanceof Element ? e.target.closest('a.qa-open') : null;
    const m = link && (link.getAttribute('href') || '').match(/qa-open-(\\d+)-(\\d+)/);
    if (!m) return;
    e.preventDefault();
    trigger('click', {turn: Number(m[1]), n: Number(m[2])});
  }, true);
}
"""
READER_JS = """
element.addEventListener('click', (e) => {
  if (e.target instanceof Element && e.target.closest('.qa-reader-close')) props.value = '';
});
document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && props.value) props.value = ''; });
watch('value', () => {
  const mark = element.querySelector('mark.qa-mark') || element.querySelector('.qa-passage-here');
  if (mark) mark.scrollIntoView({block: 'center'});
});
"""
EXPORT_JS = """
watch('value', () => {
  const text = element.querySelector('.qa-export-text');
  if (text && text.textContent) window.qaPage.download('article-qa-conversation.md', text.textContent);
});
"""
HEADER_JS = "window.qaPage && window.qaPage.restoreTheme();"
# The article table's links: remove one of your uploads (a server event), replace it (the file picker).
ARTICLES_JS = """
element.addEventListener('click', (e) => {
  const link = e.target instanceof Element ? e.target.closest('a.qa-remove, a.qa-replace') : null;
  if (!link) return;
  e.preventDefault();
  const name = decodeURIComponent((link.getAttribute('href') || '').split(':').slice(1).join(':'));
  if (link.classList.contains('qa-remove')) trigger('click', {remove: name});
  else document.querySelector('#qa-upload input[type=file]')?.click();
});
"""

# Fonts bundled with Gradio or on the system: the page loads nothing from the internet.
THEME = gr.themes.Soft(
    primary_hue="indigo", secondary_hue="slate",
    font=[gr.themes.LocalFont("IBM Plex Sans"), "ui-sans-serif", "system-ui", "sans-serif"],
    font_mono=[gr.themes.LocalFont("IBM Plex Mono"), "ui-monospace", "monospace"],
)


def saved_answers(saved: Any) -> list[Answer]:
    """The conversation kept in the browser, as answers; anything unreadable is dropped, not fatal."""
    answers = []
    for item in saved if isinstance(saved, list) else []:
        with contextlib.suppress(Exception):
            answers.append(Answer.from_dict(item))
    return answers


def api_history(history: Any) -> Any:
    """The API's history as ``ask`` takes it: chat messages (role/content) become (question, answer) pairs.

    Anything else goes to the engine as it came: ``Engine.check_history`` is
    the one place that checks a history's shape and size.
    """
    if isinstance(history, (list, tuple)) and history and all(isinstance(m, dict) and "role" in m for m in history):
        pairs, question = [], None
        for m in history:
            text = m.get("content") if isinstance(m.get("content"), str) else str(m.get("content") or "")
            if m["role"] == "user":
                question = text
            elif m["role"] == "assistant" and question is not None:
                pairs.append((question, text))
                question = None
        return pairs
    return history


class Page:
    """What the page's events do, over one engine handle; testable without a browser.

    ``browser`` arguments are the token the page keeps in the browser's storage
    (see ``start``): a browser id signed by this server (``qa.browser_token``),
    so a bare or forged id opens no one's uploads. Each browser asks its own
    view of the articles.
    ``saved`` is the conversation the page keeps there (answers as dicts).
    """

    def __init__(self, handle: EngineHandle, settings: Settings | None = None):
        """``settings``: where browsers' tokens are signed (the cache), known before the engine has loaded
        (default: the engine's, once loaded)."""
        self.handle = handle
        self._settings = settings
        self._browsers: Browsers | None = None
        self._lock = threading.Lock()

    @property
    def settings(self) -> Settings:
        return self._settings if self._settings is not None else self.handle.get().settings

    def browsers(self, timeout: float | None = LOAD_TIMEOUT) -> Browsers:
        """The per-browser engines and upload queue, once the base engine has loaded."""
        engine = self.handle.get(timeout)
        with self._lock:
            if self._browsers is None or self._browsers.base is not engine:
                self._browsers = Browsers(engine)
            return self._browsers

    def owner(self, browser: object) -> str | None:
        """The browser id a page's token stands for, if this server signed it; else None."""
        if not isinstance(browser, str) or not browser:
            return None
        return token_owner(self.settings, browser)

    def token(self, owner: str) -> str:
        """What the page keeps in a browser for ``owner`` (``start`` hands it out)."""
        return browser_token(self.settings, owner)

    def engine(self, browser: str | None) -> Engine:
        """The engine this browser asks (waiting for loading): its own if it has uploads, else the base one."""
        owner = self.owner(browser) if browser else None
        if owner is None:
            return self.handle.get()
        return self.browsers().engine(owner, wait=OWN_ENGINE_WAIT_S)

    # ---------------------------------------------------------------- drawing the conversation

    def _missing(self, answers: list[Answer], browser: str | None) -> set[str]:
        """Articles cited in ``answers`` that this browser's articles no longer hold (none while loading)."""
        state = self.handle.state()
        if not state.ready or state.error is not None:
            return set()
        present = {a.name for a in self.engine(browser).articles}
        return {c.article for a in answers for c in a.citations} - present

    def chat(self, answers: list[Answer], missing: Iterable[str] = ()) -> list[dict]:
        """The chat's messages for the kept answers: each question, then its answer (turn by turn)."""
        messages = []
        for turn, answer in enumerate(answers):
            messages.append({"role": "user", "content": render.question_html(answer.question)})
            messages.append({"role": "assistant", "content": render.answer_html(answer, turn, missing)})
        return messages

    def panel(self, answers: list[Answer], turn: int | None = None, missing: Iterable[str] = ()) -> str:
        """The sources panel of answer ``turn`` (default: the latest)."""
        if not answers:
            return render.sources_html(None)
        turn = len(answers) - 1 if turn is None else turn
        return render.sources_html(answers[turn], turn, missing)

    # ---------------------------------------------------------------- events

    def start(self, browser: str | None, saved: Any = None) -> tuple:
        """Page load: keep the browser's token (or give it one); its status, articles and saved conversation."""
        browser = browser if self.owner(browser) else self.token(new_owner())
        answers = saved_answers(saved)
        missing = self._missing(answers, browser)
        return (browser, *self.refresh(browser), self.chat(answers, missing), self.panel(answers, None, missing))

    def respond(self, message: str, saved: Any = None, browser: str | None = None,
                only: list[str] | None = None) -> Iterator[tuple]:
        """Chat: the question, then the engine's answer; the sources panel follows it.

        Yields (chat messages, sources HTML, text box, saved conversation). A
        question asked while the engine loads, or while this browser's uploads
        are being indexed, shows a "One moment" note, then its answer. Only the latest turns that fit the history limits go with
        the question.
        """
        handle = self.handle
        answers = saved_answers(saved)
        chat = self.chat(answers)
        question = " ".join((message or "").split())
        if not question:
            gr.Warning("Type a question about the articles first.")
            yield chat, gr.skip(), gr.skip(), gr.skip()
            return
        shown = chat + [{"role": "user", "content": render.question_html(question)}]
        while not handle.ready:  # the page works while the engine loads: say so, then answer
            note = f"One moment: {handle.progress_text}\u2026 the answer follows as soon as it is ready."
            yield shown + [{"role": "assistant", "content": render.notice_html(note)}], gr.skip(), "", gr.skip()
            handle.wait(0.5)
        waiting_for = self.owner(browser) if browser and self._browsers is not None else None
        while pending := (self._browsers.pending(waiting_for) if self._browsers is not None else []):
            note = (f"One moment: {pending[0].note}\u2026 the answer follows as soon as it is indexed, "
                    "so that it can come from it.")
            yield shown + [{"role": "assistant", "content": render.notice_html(note)}], gr.skip(), "", gr.skip()
            pending[0].finished.wait(0.5)
        try:
            engine = self.engine(browser)
            history = engine.recent_history(answers)  # each with the articles it cited: the conversation's focus
            names = {a.name for a in engine.articles}
            answer = engine.ask(question, history=history, only=[n for n in only or [] if n in names] or None)
        except QAError as exc:  # e.g. an over-long question: keep it in the box to edit
            gr.Warning(render.sentence_case(str(exc)))
            yield chat, gr.skip(), message, gr.skip()
            return
        except Exception as exc:
            log.exception("answering %r failed", question)
            yield (shown + [{"role": "assistant", "content": render.notice_html(f"Error: {exc}", "error")}],
                   gr.skip(), "", gr.skip())
            return
        if self._browsers is not None:
            self._browsers.answered(engine, answer)
        answers = (answers + [answer])[-KEEP_ANSWERS:]
        missing = self._missing(answers, browser)
        yield (self.chat(answers, missing), self.panel(answers, None, missing), "",
               [a.to_dict() for a in answers])

    def clear(self) -> tuple:
        """Clear: the chat, the panel, the box, and the copy kept in the browser."""
        return [], render.sources_html(None), "", []

    def show_sources(self, saved: Any, browser: str | None, evt: gr.SelectData) -> Any:
        """A click on an answer (or one of its markers) brings its sources into the panel."""
        index = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        answers = saved_answers(saved)
        if not isinstance(index, int) or index % 2 == 0 or index // 2 >= len(answers):
            return gr.skip()
        return self.panel(answers, index // 2, self._missing(answers, browser))

    def open_article(self, saved: Any, browser: str | None, evt: gr.EventData) -> str:
        """"open article" on a source card: the reader view of the whole article at that passage."""
        data = getattr(evt, "_data", None) or {}
        answers = saved_answers(saved)
        try:
            turn, n = int(data.get("turn")), int(data.get("n"))
            citation = next(c for c in answers[turn].citations if c.n == n)
        except (TypeError, ValueError, IndexError, StopIteration):
            return gr.skip()
        return self.reader(citation, browser)

    def reader(self, citation, browser: str | None) -> str:
        try:
            article = self.engine(browser).article(citation.article)
        except QAError as exc:
            gr.Warning(render.sentence_case(str(exc)))
            return gr.skip()
        return render.reader_html(article, citation)

    def export(self, saved: Any) -> str:
        """Export: the conversation as Markdown with its sources, handed to the page to download."""
        answers = saved_answers(saved)
        if not answers:
            gr.Warning("There is nothing to export yet: ask a question first.")
            return gr.skip()
        text = render.esc(render.conversation_markdown(answers))
        return f'<pre class="qa-export-text" data-at="{len(answers)}">{text}</pre>'

    def refresh(self, browser: str | None = None) -> tuple:
        """Status line, this browser's article list and the choice of articles to search; the timer stops
        once loading has ended."""
        state = self.handle.state()  # read once: loading may end between two reads
        if state.ready and state.error is None:
            owner = self.owner(browser) if browser else None
            reading = bool(owner and self.browsers().pending(owner))  # its uploads read again: look again soon
            return (*self._articles_view(browser), gr.Timer(active=reading))
        return (render.status_html(state.ready, state.error, state.progress), "", gr.skip(),
                gr.Timer(active=not state.ready))

    def _articles_view(self, browser: str | None) -> tuple:
        """(status HTML, article table HTML, the "search in" choices) for this browser's articles."""
        engine = self.engine(browser)
        owner = self.owner(browser) if browser else None
        own = self.browsers().own(owner, OWN_ENGINE_WAIT_S) if owner else set()
        status = render.status_html(True, None, "", engine.articles, engine.settings.model)
        return status, render.articles_html(engine.articles, own), gr.Dropdown(choices=[a.name for a in engine.articles])

    def remove_article(self, saved: Any, browser: str | None, evt: gr.EventData) -> tuple:
        """"remove" in the article table: one of this browser's uploads goes; answers citing it say so.

        Returns (message HTML, status, article table, choices, chat, sources panel).
        """
        name = str((getattr(evt, "_data", None) or {}).get("remove") or "")
        try:
            self.browsers().remove(self.owner(browser), name)
            message = render.upload_message(f"Removed {name}. Upload it again to bring it back.", True)
        except QAError as exc:
            message = render.upload_message(f"Not removed: {exc}.", False)
        answers = saved_answers(saved)
        missing = self._missing(answers, browser)
        return (message, *self._articles_view(browser), self.chat(answers, missing),
                self.panel(answers, None, missing))

    def add_files(self, files: Any, browser: str | None = None, progress: gr.Progress = gr.Progress()) -> tuple:
        """Upload: check, store and index each file, one at a time in the background; a bad file changes
        nothing and says why. The progress line says how many uploads are ahead, then how far indexing is.

        Returns (message HTML, article list HTML, status HTML, None to empty the upload box, browser id,
        the "search in" choices).
        """
        paths = [files] if isinstance(files, (str, Path)) else list(files or [])
        if not paths:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        limit = self.browsers().settings.max_article_bytes
        loaded, messages = [], []
        for path in paths:
            name = Path(path).name
            try:
                check_size(name, os.path.getsize(path), limit)  # before reading a huge file into memory
                loaded.append((name, Path(path).read_bytes()))
            except QAError as exc:
                messages.append(f"Not added: {exc}. Nothing was changed.")
            except OSError as exc:
                messages.append(f"Not added: {name} could not be read ({exc.strerror or exc}).")
            finally:
                _discard_upload(Path(path))
        message, table, status, browser, choices = self._add(loaded, messages, browser, progress)
        return message, table, status, None, browser, choices

    def add_link(self, url: str, browser: str | None = None, progress: gr.Progress = gr.Progress()) -> tuple:
        """"Add from a link": fetch the page, or each article of an RSS/Atom feed, then add them as uploads are.

        Returns (message HTML, article list HTML, status HTML, the link box's text, browser id, the "search in"
        choices); the box is emptied once its articles are added, and keeps the link when none could be.
        """
        url = str(url or "").strip()
        if not url:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        settings = self.browsers().settings
        progress(0, desc=f"fetching {url[:80]}")
        try:
            pages = articles_from_link(check_link(url), settings,
                                       lambda stage, done, total: progress((done, total), desc=progress_text(
                                           stage, done, total)))
        except QAError as exc:
            return (render.upload_message(f"Not added: {exc}. Nothing was changed.", False), gr.skip(), gr.skip(),
                    url, gr.skip(), gr.skip())
        message, table, status, browser, choices = self._add(pages, [], browser, progress)
        return message, table, status, "", browser, choices

    def _add(self, loaded: list[tuple[str, bytes]], messages: list[str], browser: str | None,
             progress: gr.Progress) -> tuple:
        """Queue each (name, bytes) for indexing on the browser's engine, wait with a progress line, and say
        what happened: (message HTML, article list HTML, status HTML, browser id, "search in" choices)."""
        browsers = self.browsers()
        owner = self.owner(browser)
        if owner is None:
            owner = new_owner()
            browser = self.token(owner)
        ok_all = not messages
        queued: list[Upload] = []
        for name, data in loaded:
            try:
                queued.append(browsers.submit(owner, name, data))
            except QAError as exc:
                ok_all = False
                messages.append(f"Not added: {exc}. Nothing was changed.")
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
            verb = "Replaced your" if upload.replaced else "Added"
            who = "everyone using this app" if browsers.shared else "only this browser"
            messages.append(f"{verb} \u201c{info.title}\u201d ({info.name}): {render.plural(info.passages, 'passage')} "
                            f"in {render.plural(len(info.sections), 'section')}. You can ask about it now; "
                            f"{who} can see it.")
        status, table, choices = self._articles_view(browser)
        return render.upload_message(" ".join(messages), ok_all), table, status, browser, choices

    def api_ask(self, question: str, history: list[list[Any]] | None = None,
                only: list[str] | None = None) -> dict[str, Any]:
        """Answer a question from the articles, as Answer.to_dict() JSON: text with [n] markers, citations.

        history (optional): earlier turns, oldest first, as [question, answer_text] pairs or
        [question, answer_text, [cited article names]] triples (or earlier answers' JSON), so follow-ups know
        what "he" means and search the articles the conversation is about first; at most the latest 20 turns
        and 20,000 characters by default.
        only (optional): file names of the articles to answer from (default: all of them).
        """
        try:
            return self.answer(question, history, only).to_dict()
        except (QAError, TimeoutError, TypeError) as exc:
            raise gr.Error(str(exc), print_exception=False) from None

    def answer(self, question: str, history: list[list[Any]] | None = None,
               only: list[str] | None = None) -> Answer:
        """The ``Answer`` that ``/ask`` and the MCP tool give; QAError, TimeoutError or TypeError for bad input."""
        engine = self.handle.get()
        answer = engine.ask(question, history=api_history(history), only=only)
        if self._browsers is not None:
            self._browsers.answered(engine, answer)
        return answer


def _discard_upload(path: Path) -> None:
    """Delete Gradio's copy of an uploaded file once read (and the folder Gradio made for it, when empty),
    and the empty files its upload route leaves beside them."""
    with contextlib.suppress(OSError):
        path.unlink()
        if path.parent.parent.resolve() == Path(gr.utils.get_upload_folder()).resolve():
            path.parent.rmdir()
    sweep_empty_temp()


def sweep_empty_temp(older_than: float = EMPTY_TEMP_AGE_S) -> int:
    """Remove the empty ``tmp*`` files in Gradio's upload folder (one is left per upload, and they outlive
    restarts); those younger than ``older_than`` seconds may still be filling. Returns how many went."""
    folder = Path(gr.utils.get_upload_folder())
    removed = 0
    now = time.time()
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            with contextlib.suppress(OSError):
                info = entry.stat(follow_symlinks=False)
                if (entry.name.startswith("tmp") and entry.is_file(follow_symlinks=False) and info.st_size == 0
                        and now - info.st_mtime > older_than):
                    os.unlink(entry.path)
                    removed += 1
    return removed


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
    ``Page`` whose methods the events call. Serve it with ``css=CSS, theme=THEME, head=HEAD``.
    """
    if settings is None:
        settings = source.settings if isinstance(source, Engine) else Settings.resolve()
    handle = source if isinstance(source, EngineHandle) else EngineHandle(source)
    handle.start()
    sweep_empty_temp()  # what the last run's uploads left
    page = Page(handle, settings)
    examples = list(examples or [])
    privacy = ("shared with everyone using this app" if settings.shared_uploads
               else "only this browser sees it")
    state = handle.state()

    with _Blocks(title="Article QA", analytics_enabled=False, delete_cache=DELETE_CACHE) as demo:
        browser = gr.BrowserState("", storage_key=BROWSER_KEY, secret=STATE_KEY)
        saved = gr.BrowserState([], storage_key=CONVERSATION_KEY, secret=STATE_KEY)
        with gr.Row(elem_id="qa-header"):
            gr.HTML('<h1>Article QA</h1><span class="qa-sub">Answers quoted from the articles, '
                    "each sentence cited [n]. Runs offline.</span>", padding=False, js_on_load=HEADER_JS)
            status = gr.HTML(render.status_html(state.ready, state.error, state.progress), padding=False,
                             elem_id="qa-status")
            gr.Button("Dark", size="sm", variant="secondary", elem_id="qa-theme", min_width=0)
        with gr.Row(equal_height=False):
            with gr.Column(scale=6, min_width=300):
                chatbot = gr.Chatbot(
                    show_label=False, height=430, elem_id="qa-chat",
                    latex_delimiters=[], feedback_options=None, buttons=[],
                    placeholder=("**Ask about the articles.** Every sentence of an answer is quoted from an "
                                 "article and numbered [n]: click a number to see its source, hover it to read "
                                 "the sentence. Follow-up questions (\u201cWhat did he say?\u201d) use the "
                                 "conversation, which this browser keeps."),
                )
                with gr.Row(elem_id="qa-ask-row"):
                    msg = gr.Textbox(placeholder="Ask a question about the articles\u2026",
                                     show_label=False, scale=8, autofocus=True, max_lines=4,
                                     elem_id="qa-question", submit_btn=False, min_width=160)
                    send = gr.Button("Ask", variant="primary", scale=1, min_width=70, elem_id="qa-send")
                only = gr.Dropdown(choices=[], value=[], multiselect=True, allow_custom_value=True,
                                   label="Search in (empty: all articles)", elem_id="qa-only")
                with gr.Row(elem_id="qa-chat-tools"):
                    clear_btn = gr.Button("Clear", variant="secondary", size="sm", min_width=0, elem_id="qa-clear")
                    export_btn = gr.Button("Export", variant="secondary", size="sm", min_width=0,
                                           elem_id="qa-export-btn")
                export = gr.HTML("", elem_id="qa-export", padding=False, js_on_load=EXPORT_JS)
                example_buttons = []
                if examples:
                    with gr.Row(elem_id="qa-examples"):
                        gr.HTML('<span class="qa-try">Try:</span>', elem_classes=["qa-try-block"], padding=False)
                        for text in examples:
                            example_buttons.append(gr.Button(text, size="sm", variant="secondary"))
            with gr.Column(scale=5, min_width=300, elem_id="qa-sources-box"):
                sources = gr.HTML(render.sources_html(None), elem_id="qa-sources", padding=False,
                                  js_on_load=OPEN_JS)
        reader = gr.HTML("", elem_id="qa-reader", padding=False, js_on_load=READER_JS)
        with gr.Accordion("Articles", open=True, elem_id="qa-articles-box"):
            with gr.Row(equal_height=False):
                with gr.Column(scale=3, min_width=280):
                    article_list = gr.HTML("", elem_id="qa-article-list", padding=False, js_on_load=ARTICLES_JS)
                with gr.Column(scale=2, min_width=280):
                    upload_label = (f"Add an article: .txt, .md, .html, .pdf or .docx, up to "
                                    f"{settings.max_article_bytes / 1e6:.0f} MB ({privacy})")
                    gr.HTML(f'<div class="qa-upload-label">{render.esc(upload_label)}</div>', padding=False)
                    upload = gr.File(label=upload_label, show_label=False, file_count="multiple", elem_id="qa-upload",
                                     height=120)
                    with gr.Row(elem_id="qa-link-row"):
                        link = gr.Textbox(label="Add from a link", placeholder="https://… a news page, a PDF or an "
                                          "RSS/Atom feed", lines=1, max_lines=1, scale=4, elem_id="qa-link")
                        link_btn = gr.Button("Add", variant="secondary", scale=1, min_width=60, elem_id="qa-link-add")
                    upload_msg = gr.HTML("", elem_id="qa-upload-msg", padding=False)

        answer_outputs = [chatbot, sources, msg, saved]
        common = dict(outputs=answer_outputs, concurrency_id="answers", concurrency_limit=CONCURRENCY,
                      show_progress="minimal", show_progress_on=[chatbot], api_visibility="private")
        msg.submit(page.respond, [msg, saved, browser, only], **common)
        send.click(page.respond, [msg, saved, browser, only], **common)
        for button in example_buttons:
            button.click(page.respond, [button, saved, browser, only], **common)
        clear_btn.click(page.clear, None, answer_outputs, queue=False, api_visibility="private")
        chatbot.select(page.show_sources, [saved, browser], sources, queue=False, api_visibility="private",
                       show_progress="hidden")
        sources.click(page.open_article, [saved, browser], reader, queue=False, api_visibility="private",
                      show_progress="hidden")
        export_btn.click(page.export, saved, export, queue=False, api_visibility="private", show_progress="hidden")

        timer = gr.Timer(0.5)
        timer.tick(page.refresh, browser, [status, article_list, only, timer], queue=False,
                   api_visibility="private", show_progress="hidden")
        demo.load(page.start, [browser, saved], [browser, status, article_list, only, timer, chatbot, sources],
                  queue=False, api_visibility="private", show_progress="hidden")
        # Many may wait here; the indexing itself runs one at a time on the Browsers thread.
        # The progress bar is drawn once, on the box the upload came from, not on every output.
        upload.upload(page.add_files, [upload, browser], [upload_msg, article_list, status, upload, browser, only],
                      concurrency_id="uploads", concurrency_limit=CONCURRENCY, api_visibility="private",
                      show_progress_on=[upload])
        for trigger in (link.submit, link_btn.click):
            trigger(page.add_link, [link, browser], [upload_msg, article_list, status, link, browser, only],
                    concurrency_id="uploads", concurrency_limit=CONCURRENCY, api_visibility="private",
                    show_progress_on=[link])
        article_list.click(page.remove_article, [saved, browser],
                           [upload_msg, status, article_list, only, chatbot, sources], api_visibility="private")

        def ask(question: str, history: list[list[Any]] | None = None,
                only: list[str] | None = None) -> dict[str, Any]:
            """Answer a question from the news articles, quoting them, with numbered citations.

            Returns Answer.to_dict() JSON: "text" with [n] markers, "answered" (false: the articles don't
            say), "confidence" (0-1), and "citations" (n, article, title, section, the cited sentence, its
            passage, paragraphs, score: the sentence's share of the answer, 0-1).

            Args:
                question: the question, in plain words (at most 1,000 characters).
                history: the conversation's earlier turns, oldest first, each [question, answer_text] or
                    [question, answer_text, [article names its answer cited]], so follow-ups know who "he"
                    is and search the articles the conversation is about first; at most the latest 20 turns
                    and 20,000 characters.
                only: file names of the articles to answer from (default: all of them).
            """
            return page.api_ask(question, history, only)

        # The API endpoint /ask, and with --mcp the MCP tool "ask" (named after this function).
        gr.api(ask, api_name="ask", concurrency_id="answers", concurrency_limit=CONCURRENCY)

    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_SIZE)
    demo.page = page  # type: ignore[attr-defined]  # for tests and main()
    return demo
