"""Answers, sources, articles and status as HTML (and text): pure functions, no Gradio, no engine.

Every article and user string is escaped (``esc``) before it reaches the page,
Markdown and LaTeX characters too, since the chat renders Markdown. Markers
``[n]`` become links to their source card (``#qa-source-{turn}-{n}``) whose
hover text is the cited sentence; the page's script (``page.js``) follows
them. Each answer carries its sources twice: in the side panel (desktop) and
folded under the answer (phone). Leaves out: events and layout (``page.py``).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Iterable, Sequence
from urllib.parse import quote

from qa import Answer, Article, ArticleInfo, Citation, Short
from qa.articles import section_label

# Characters that mean something to HTML or to the chat's Markdown renderer,
# written as entities so an article's "<script>", "**bold**", "$x$" or
# "[link](url)" shows as the characters it is.
_ENTITIES = {ord(c): f"&#{ord(c)};" for c in "\\`*_{}[]()#+-!|~$<>&\"'="}
_MARKER = re.compile(r"&#91;(\d+)&#93;")
HEADING_CHARS = 90  # a pasted question longer than this is shortened in headings
HOVER_CHARS = 300  # the cited sentence in a marker's hover text
SCORE_HELP = ("Share of the answer: how much of the answer this source carries, by how likely its sentence is "
              "the one that answers; the sources of an answer add up to 100%.")
CONFIDENCE_HELP = ("Calibrated chance (0-100%) that the articles answer this question at all. An answer is given "
                   "even when it is low, because refusing a question the articles do answer is the worse mistake: "
                   "then check the cited sentence.")
# How sure an answer is said to be, by its confidence: words first, so a low number beside an answer reads right.
SURE = ((0.7, "sure"), (0.35, "fairly sure"), (0.0, "unsure, check the sources"))


def esc(text: object) -> str:
    """``text`` as inert HTML: no tags, no Markdown, no LaTeX."""
    return str(text).translate(_ENTITIES)


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``1 passage``, ``2 passages``, ``1,200 passages``."""
    return f"{count:,} {noun if count == 1 else (nouns or noun + 's')}"


def sentence_case(text: str) -> str:
    """A message as a sentence: capital first letter, a full stop at the end."""
    text = str(text).strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def shorten(text: str, limit: int = HEADING_CHARS) -> str:
    """``text`` on one line, cut at a word with an ellipsis when longer than ``limit``."""
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] or text[:limit]
    return cut.rstrip(" ,;:") + "\u2026"


def shares(citations: Sequence[Citation]) -> dict[int, str]:
    """Each citation's share of the answer among those shown, as whole percentages adding up to 100.

    >>> shares([Citation(1, "a", "", "", "", 0.5), Citation(2, "a", "", "", "", 0.3), Citation(3, "a", "", "", "", 0.1)])
    {1: '56%', 2: '33%', 3: '11%'}
    """
    total = sum(max(c.score, 0.0) for c in citations)
    if total <= 0:
        return {c.n: f"{100 // max(len(citations), 1)}%" for c in citations}
    exact = [max(c.score, 0.0) / total * 100 for c in citations]
    whole = [int(x) for x in exact]
    for i in sorted(range(len(exact)), key=lambda i: whole[i] - exact[i])[:100 - sum(whole)]:
        whole[i] += 1  # largest remainders first
    return {c.n: f"{w}%" for c, w in zip(citations, whole)}


def sureness(answer: Answer) -> str:
    """The panel's word for how likely the articles answer: for an answer, how sure; for a refusal, the chance."""
    if not answer.answered:
        return f"answerable: {percent(answer.confidence)}"
    word = next(word for low, word in SURE if answer.confidence >= low)
    return f"{word} ({percent(answer.confidence)})"


def percent(value: float) -> str:
    """A 0..1 share as a percentage; a share too small to round to 1% is "<1%", not "0%".

    >>> percent(0.623), percent(0.001), percent(0.0)
    ('62%', '<1%', '0%')
    """
    value = float(value)
    return "<1%" if 0 < value < 0.005 else f"{round(value * 100):d}%"


def _paragraphs(escaped: str) -> str:
    parts = [p.replace("\n", "<br>") for p in re.split(r"\n\s*\n", escaped.strip()) if p.strip()]
    return "".join(f"<p>{p}</p>" for p in parts)


def _paras(span: Iterable[int]) -> str:
    a, b = list(span)[:2] if span else (0, 0)
    return f"paragraph {a}" if a == b else f"paragraphs {a}\u2013{b}"


# ---------------------------------------------------------------- the chat

def question_html(question: str) -> str:
    return f'<div class="qa-question">{esc(" ".join(question.split()))}</div>'


def notice_html(text: str, kind: str = "pending") -> str:
    """A chat message that is not an answer (loading, error); never part of the conversation kept."""
    return f'<div class="qa-notice qa-{kind}">{esc(text)}</div>'


def _hover(c: Citation) -> str:
    return shorten(f"[{c.n}] {c.title or c.article} \u203a {c.section_label}: {c.sentence}", HOVER_CHARS)


def answer_html(answer: Answer, turn: int, missing: Iterable[str] = ()) -> str:
    """The chat bubble of answer ``turn``: "Searched for", the text with linked [n] markers, a copy button,
    and its sources folded underneath (shown on phones); refusals look different."""
    by_n = {c.n: c for c in answer.citations}

    def link(match: re.Match) -> str:
        n = int(match.group(1))
        c = by_n.get(n)
        hover = f' title="{esc(_hover(c))}"' if c else ""
        return f'<a class="qa-cite" href="#qa-source-{turn}-{n}"{hover}>&#91;{n}&#93;</a>'

    searched = (f'<div class="qa-searched">Searched for: {esc(answer.searched)}</div>'
                if answer.searched_differs else "")
    body = _MARKER.sub(link, esc(answer.text))
    kind = "qa-answer" if answer.answered else "qa-answer qa-refusal"
    # The text to copy, a line to an element: the chat's Markdown pass joins the lines of an element's text
    # (a <pre> lost the breaks between sources) and its sanitiser drops data- attributes. page.js joins them.
    lines = "".join(f'<span class="qa-copy-line">{esc(line)}</span>' for line in copy_text(answer).split("\n"))
    tools = (f'<div class="qa-tools"><button class="qa-copy" type="button" title="Copy the answer with its '
             f'numbered sources">Copy</button></div><div class="qa-copy-text">{lines}</div>')
    inline = ""
    if answer.citations:
        missing = set(missing)
        label = "Sources" if answer.answered else "Closest passages"
        share = shares(answer.citations) if answer.answered else {}
        cards = "".join(card_html(c, turn, inline=True, missing=c.article in missing, short=answer.short,
                                  share=share.get(c.n, "")) for c in answer.citations)
        inline = (f'<details class="qa-inline"><summary>{label} ({len(answer.citations)})</summary>'
                  f"{cards}</details>")
    short = (f'<div class="qa-short"><strong>{_MARKER.sub(link, esc(answer.short.cited()))}</strong></div>'
             if answer.short else "")
    return (f'<div class="{kind} qa-turn-{turn}">{searched}{short}<div class="qa-text">{body}</div>'
            f"{tools}{inline}</div>")


def copy_text(answer: Answer) -> str:
    """The answer as plain text with its numbered sources: what the copy button copies."""
    lines = [f"Searched for: {answer.searched}", ""] if answer.searched_differs else []
    if answer.short:
        lines.append(answer.short.cited())
    lines.append(answer.text)
    if answer.citations:
        lines += ["", "Sources:" if answer.answered else "Closest passages (none answers the question):"]
        for c in answer.citations:
            lines.append(f"[{c.n}] {c.title or c.article} \u203a {c.section_label} ({c.article}, {_paras(c.paragraphs)}): "
                         f"\u201c{c.sentence}\u201d" + (f" {c.url}" if c.url else ""))
    return "\n".join(lines)


def conversation_markdown(answers: list[Answer], when: datetime | None = None) -> str:
    """The conversation as a Markdown document with every answer's sources: what Export downloads."""
    when = when or datetime.now(timezone.utc)
    out = ["# Article QA conversation", "", f"Exported {when:%Y-%m-%d %H:%M} UTC.", ""]
    for i, answer in enumerate(answers, 1):
        out += [f"## {i}. {answer.question}", ""]
        if answer.searched_differs:
            out += [f"*Searched for: {answer.searched}*", ""]
        if answer.short:
            out += [f"**{answer.short.cited()}**", ""]
        out += [answer.text if answer.answered else f"> {answer.text}", ""]
        if answer.citations:
            out += ["Sources:" if answer.answered else "Closest passages (none answers the question):", ""]
            share = shares(answer.citations) if answer.answered else {}
            for c in answer.citations:
                part = f"; {share[c.n]} of the answer" if c.n in share else ""
                out.append(f"{c.n}. **{c.title or c.article}** \u203a {c.section_label} "
                           f"({c.article}, {_paras(c.paragraphs)}{part})")
                out.append(f"   > {c.sentence}")
                if c.url:
                    out.append(f"   <{c.url}>")
            out.append("")
    return "\n".join(out).rstrip() + "\n"


# ---------------------------------------------------------------- sources

def passage_html(c: Citation, short: Short | None = None) -> str:
    """The citation's passage with its cited sentence marked, and inside it the short answer's spans."""
    text, sentence, start = c.text, c.sentence, c.sentence_start
    if text[start:start + len(sentence)] != sentence:
        found = text.find(sentence)
        start = found if found >= 0 else -1
    if start < 0 or not sentence:
        return _paragraphs(esc(text))
    spans = sorted((s.start - c.start - start, s.end - c.start - start) for s in (short.spans if short else ())
                   if s.n == c.n and c.start + start <= s.start and s.end <= c.start + start + len(sentence))
    inner, at = "", 0
    for a, b in spans:
        if a >= at:
            inner += esc(sentence[at:a]) + '<b class="qa-span">' + esc(sentence[a:b]) + "</b>"
            at = b
    inner += esc(sentence[at:])
    marked = esc(text[:start]) + '<mark class="qa-mark">' + inner + "</mark>" + esc(text[start + len(sentence):])
    return _paragraphs(marked)


def card_html(c: Citation, turn: int, inline: bool = False, missing: bool = False, short: Short | None = None,
              share: str = "") -> str:
    """One source card: [n], title, share of the answer (``shares``; none for a refusal's closest passages),
    section, where, the passage, "open article"."""
    share = f'<span class="qa-score" title="{esc(SCORE_HELP)}">{share} of the answer</span>' if share else ""
    where = f"qa-inline-{c.n}" if inline else f'qa-source-{c.n}" id="qa-source-{turn}-{c.n}'
    gone = ('<div class="qa-gone">This article has been removed since this answer; the passage is shown as '
            "it was.</div>") if missing else ""
    opener = "" if missing else (f'<a class="qa-open" href="#qa-open-{turn}-{c.n}" title="Read the whole article '
                                 f'at this passage">open article</a>')
    if c.url.startswith(("http://", "https://")):
        opener += (f' <a class="qa-url" href="{esc(c.url)}" target="_blank" rel="noopener noreferrer" '
                   f'title="{esc(c.url)}">web page</a>')
    return (
        f'<div class="qa-source {where}">'
        f'<div class="qa-source-head"><span class="qa-cite">&#91;{c.n}&#93;</span> '
        f'<span class="qa-title">{esc(c.title or c.article)}</span>'
        f'{share}</div>'
        f'<div class="qa-section">\u00a7 {esc(c.section_label)} '
        f'<span class="qa-where">\u00b7 {esc(c.article)}, {_paras(c.paragraphs)}</span> {opener}</div>'
        f'{gone}<div class="qa-passage">{passage_html(c, short)}</div></div>'
    )


def sources_html(answer: Answer | None, turn: int = 0, missing: Iterable[str] = ()) -> str:
    """The sources panel for answer ``turn``: each [n] with title, section, share, and its passage."""
    if answer is None:
        return ('<div class="qa-sources qa-empty"><div class="qa-panel-title">Sources</div>'
                "<p>Each <span class=\"qa-cite\">&#91;n&#93;</span> in an answer is shown here: the article, "
                "the section, and the passage with the cited sentence highlighted. Click a marker to jump to its "
                "source, or an earlier answer to bring its sources back.</p></div>")
    question = esc(shorten(answer.question))
    sure = f'<span class="qa-confidence" title="{esc(CONFIDENCE_HELP)}">{esc(sureness(answer))}</span>'
    if answer.answered:
        head = f'<div class="qa-panel-title">Sources of answer {turn + 1}: \u201c{question}\u201d {sure}</div>'
    else:
        head = (f'<div class="qa-panel-title">No answer {turn + 1}: \u201c{question}\u201d {sure}</div>'
                '<p class="qa-closest">Closest passages, for reference: none of them answers the question.</p>')
    missing = set(missing)
    share = shares(answer.citations) if answer.answered else {}
    cards = "".join(card_html(c, turn, missing=c.article in missing, short=answer.short, share=share.get(c.n, ""))
                    for c in answer.citations)
    kind = "qa-sources" if answer.answered else "qa-sources qa-refused"
    return f'<div class="{kind} qa-for-{turn}">{head}{cards}</div>'


def reader_html(article: Article, c: Citation) -> str:
    """The whole repaired article, its sections as headings, the cited passage framed and its sentence marked.

    The page scrolls the marked sentence into view.
    """
    text = article.text
    a, b = c.start, c.start + len(c.text)
    if text[a:b] != c.text:  # the file changed since the answer: find the passage again
        found = text.find(c.text)
        a, b = (found, found + len(c.text)) if found >= 0 else (-1, -1)
    s = a + c.sentence_start if a >= 0 else -1
    if a >= 0 and text[s:s + len(c.sentence)] != c.sentence:
        found = text.find(c.sentence, a, b)
        s = found
    parts = []
    for section in article.sections:
        if section.header:
            parts.append(f"<h3>{esc(section.header)}</h3>")
        for start, end in section.paragraphs:
            if text[start:end].strip() == section.header.strip():
                continue
            parts.append(f"<p>{_marked(text, start, end, a, b, s, len(c.sentence))}</p>")
    return (f'<div class="qa-reader-box"><div class="qa-reader-head"><b>{esc(article.title)}</b> '
            f'<span class="qa-where">{esc(article.name)} \u00b7 source &#91;{c.n}&#93;</span>'
            f'<button class="qa-reader-close" type="button">Close</button></div>'
            f'<div class="qa-reader-text">{"".join(parts)}</div></div>')


def _marked(text: str, start: int, end: int, a: int, b: int, s: int, length: int) -> str:
    """Paragraph ``text[start:end]`` escaped, the passage ``[a, b)`` framed and the sentence at ``s`` marked."""
    cuts = sorted({start, end} | {x for x in (a, b, s, s + length) if start < x < end and x >= 0})
    out = []
    for x, y in zip(cuts, cuts[1:]):
        piece = esc(text[x:y]).replace("\n", "<br>")
        if 0 <= s <= x and y <= s + length:
            piece = f'<mark class="qa-mark">{piece}</mark>'
        if 0 <= a <= x and y <= b:
            piece = f'<span class="qa-passage-here">{piece}</span>'
        out.append(piece)
    return "".join(out)


# ---------------------------------------------------------------- articles and status


def articles_html(articles: list[ArticleInfo], own: Iterable[str] = ()) -> str:
    """The loaded articles as a table: title and file, sections, passages; remove and replace for ``own``."""
    own = set(own)
    rows = []
    for a in articles:
        sections = " \u00b7 ".join(esc(section_label(s)) for s in a.sections)
        badge = ' <span class="qa-badge">uploaded</span>' if a.uploaded else ""
        tools = ""
        if a.name in own:
            key = quote(a.name, safe="")
            tools = (f'<div class="qa-row-tools"><a class="qa-remove" href="#qa-remove:{key}" '
                     f'title="Remove this upload from your articles">remove</a> \u00b7 '
                     f'<a class="qa-replace" href="#qa-replace:{key}" title="Upload the new version: a file with '
                     f'the same name replaces it">replace</a></div>')
        rows.append(f"<tr><td><b>{esc(a.title)}</b>{badge}<div class=\"qa-file\">{esc(a.name)}</div>{tools}</td>"
                    f"<td class=\"qa-sections\">{sections}</td><td class=\"qa-num\">{a.passages:,}</td></tr>")
    total = sum(a.passages for a in articles)
    return (f'<table class="qa-articles"><thead><tr><th>Article ({len(articles)})</th>'
            f'<th class="qa-sections">Sections</th><th class="qa-num">Passages ({total:,})</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def status_html(ready: bool, error: BaseException | None, progress: str, articles: list[ArticleInfo] = (),
                model: str = "") -> str:
    """The pill under the title: loading progress, the loading error, or what is loaded (for this browser)."""
    if not ready:
        return (f'<div class="qa-status qa-loading">{esc(progress[:1].upper() + progress[1:])}\u2026 '
                "(you can ask already)</div>")
    if error is not None:
        return f'<div class="qa-status qa-failed">Could not load the articles: {esc(error)}</div>'
    passages = sum(a.passages for a in articles)
    return (f'<div class="qa-status qa-ready" title="model {esc(model)}, offline"><span class="qa-status-word">'
            f'Ready \u00b7 </span>{plural(len(articles), "article")}<span class="qa-status-more">, {plural(passages, "passage")} '
            f'\u00b7 model {esc(model)} \u00b7 offline</span></div>')


def upload_message(text: str, ok: bool) -> str:
    kind = "qa-ok" if ok else "qa-bad"
    return f'<div class="qa-upload-msg {kind}">{esc(text)}</div>'
