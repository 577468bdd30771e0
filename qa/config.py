"""The one settings object: every tunable fact of article QA lives here.

Precedence: call argument > CLI flag > environment variable > default. A value
of ``None`` passed to ``Settings.resolve`` means "use the environment or the
default". One variable, ``QA_CACHE_DIR``, relocates all disk state.
"""

from __future__ import annotations

import argparse
import os
import re
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from embeddings.model import BACKENDS, DEFAULT_MODEL, PRECISIONS

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_ARTICLES = PROJECT_DIR / "seeds"
DEFAULT_CACHE = PROJECT_DIR / ".cache"

# Environment variable for each setting that can be set from outside.
ENV = {
    "articles": "QA_ARTICLES",
    "model": "QA_MODEL",
    "cache_dir": "QA_CACHE_DIR",
    "threads": "QA_THREADS",
    "top_k": "QA_TOP_K",
    "backend": "QA_BACKEND",
    "precision": "QA_PRECISION",
    "threshold": "QA_THRESHOLD",
    "max_article_bytes": "QA_MAX_ARTICLE_BYTES",
    "max_history_turns": "QA_MAX_HISTORY_TURNS",
    "max_history_chars": "QA_MAX_HISTORY_CHARS",
    "shared_uploads": "QA_SHARED_UPLOADS",
    "max_upload_files": "QA_MAX_UPLOAD_FILES",
    "max_upload_bytes": "QA_MAX_UPLOAD_BYTES",
    "max_uploads_total_bytes": "QA_MAX_UPLOADS_TOTAL_BYTES",
    "max_upload_passages": "QA_MAX_UPLOAD_PASSAGES",
    "upload_days": "QA_UPLOAD_DAYS",
    "store": "QA_STORE",
}
# The token for a Milvus server (``store = milvus:http://...``), read from the environment only.
MILVUS_TOKEN_ENV = "QA_MILVUS_TOKEN"


@dataclass(frozen=True)
class Settings:
    """Everything the engine needs to know; frozen so an engine's settings never drift."""

    articles: Path | str = DEFAULT_ARTICLES  # a file or folder, or a link (http(s) page or feed; ``web.py``)
    model: str = DEFAULT_MODEL
    # How the model runs: "onnx" (ONNX Runtime; same vectors as torch, build
    # 1.5x and a question 2.5x faster here, a cached start 0.5 s instead of 4 s),
    # "torch" (any sentence-transformers model), "auto" (onnx where possible).
    backend: str = "auto"
    # What the model computes in. "auto" (default): passages in bfloat16 on torch where the CPU computes it
    # natively (AVX512-BF16, AMX), from the first build of at least embeddings.model.BF16_MIN_CHARS (~650
    # passages) on; questions always, and smaller builds, in fp32. "bf16": every build; "fp32": never.
    # "int8": an int8 model (embeddings/quantise.py) for passages and questions; switching rebuilds.
    # Why auto is the default and int8 a setting: docs/DECISIONS.md ("Precision").
    precision: str = "auto"
    cache_dir: Path = DEFAULT_CACHE
    # CPU threads for torch and FAISS; 0 means all cores. On 2 cores a second
    # busy process makes 2 threads fight (470 ms instead of 8 ms a query).
    threads: int = 0
    # Passages handed to answer composition (and shown by ``Engine.search``):
    # the best of ``candidates`` once their sentences are scored. 5 covered
    # 96% of public-dev answers' passages (recall@5) while keeping list
    # answers from drifting into unrelated passages.
    top_k: int = 5
    # Passages retrieval hands to sentence scoring, which re-ranks them by
    # their best sentence: 10 lifted recall@1 on public-dev (see weights report).
    candidates: int = 10
    # Passages of a conversation's focus (the articles its latest answers
    # cited) that scoring reads besides, when retrieval ranked them lower.
    focus_candidates: int = 5
    # Passages are packed from whole paragraphs up to this many word pieces
    # (model window is 256): long enough to keep a quote with its speaker,
    # short enough that a citation points at one place.
    pack_tokens: int = 160
    # Refuse below this calibrated answerability (0..1); None: the threshold
    # fitted with the model's weights (``qa/weights/``), which keeps false
    # refusals under 1% on questions about articles held apart.
    threshold: float | None = None
    # Sentences in an answer (lists of people gather up to the list limit).
    max_sentences: int = 3
    max_list_sentences: int = 4
    # Input limits: a news article is ~10 KB; a question is a sentence.
    max_article_bytes: int = 10_000_000
    max_question_chars: int = 1_000
    # A conversation's earlier turns, checked like the question: 20 turns of a
    # 1,000-character question and a short answer fit in 20,000 characters.
    # Unbounded, one 10 MB history took 14 s and left the app at 1.4 GB.
    # Surfaces pass only the latest turns that fit; ask() refuses more.
    max_history_turns: int = 20
    max_history_chars: int = 20_000
    # Uploads in the app are private to the browser that made them unless
    # shared_uploads is on. Limits: a browser's files and bytes, all uploads'
    # bytes together (so uploads cannot fill the disk), and days an upload is
    # kept after it was last uploaded or cited.
    shared_uploads: bool = False
    max_upload_files: int = 50
    max_upload_bytes: int = 50_000_000
    max_uploads_total_bytes: int = 1_000_000_000
    upload_days: int = 30
    # Passages an upload may make: a news article makes 5-20, a 100-page report ~300. One 5 MB
    # file of a million tiny paragraphs made 12,659 and took the app from 1.1 to 6.35 GB, so an
    # upload that must make more than this (at least its words / the model's window) is refused
    # before it is split or embedded.
    max_upload_passages: int = 2_000
    # Whether loading may freeze the garbage collector's view of the process (gc.freeze: a loaded corpus
    # kept out of its full passes, which otherwise walk a million objects at 100k passages in the middle
    # of a question). Process-wide state, so off for a library; the app and the CLI own their process
    # and turn it on.
    freeze_gc: bool = False
    # Links (``--articles https://...``, "Add from a link"): a page must answer
    # within this many seconds (a news page arrives in 1-3 s; 20 s tolerates a
    # slow server without leaving a user waiting on a dead one), and a feed
    # brings at most this many articles (news feeds list 10-50 items).
    fetch_seconds: float = 20.0
    max_feed_items: int = 50
    # Where passages, vectors and the lexical index are kept: "faiss" (files in
    # the cache folder: the fast local path), "milvus:PATH.db" (embedded Milvus
    # Lite; a relative path is under the cache folder) or "milvus:http://host:19530"
    # (a Milvus server or cluster, token from QA_MILVUS_TOKEN). Milvus needs
    # the [scale] extra. Milvus Lite answered the dev questions like FAISS but
    # ~10x slower a query: it stands in for a cluster, it is not the fast path.
    store: str = "faiss"
    # Texts per forward pass while indexing: on 2 cores 8 beat 32 (44 vs 38
    # passages/s) and 128 (29/s), less padding and a smaller working set.
    batch_size: int = 8

    @property
    def thread_count(self) -> int:
        """Threads to use: the setting, or every core when it is 0."""
        return self.threads or (os.cpu_count() or 1)

    @classmethod
    def resolve(cls, **overrides: Any) -> "Settings":
        """Settings from defaults, then environment, then non-None overrides."""
        values: dict[str, Any] = {}
        known = {f.name: f for f in fields(cls)}
        for name, var in ENV.items():
            raw = os.environ.get(var)
            if raw not in (None, ""):
                values[name] = raw
        for name, value in overrides.items():
            if name not in known:
                raise TypeError(f"unknown setting {name!r}; known: {', '.join(sorted(known))}")
            if value is not None:
                values[name] = value
        return replace(cls(), **{k: _coerce(k, v) for k, v in values.items()})


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The settings' command-line flags, shared by ``python -m qa`` and ``app.py``."""
    parser.add_argument("--articles", help="article file or folder (.txt, .md, .html, .pdf, .docx), or an http(s) "
                        "link to a page or an RSS/Atom feed (default: seeds/, or QA_ARTICLES)")
    parser.add_argument("--model", help="sentence-transformers model name or path (QA_MODEL)")
    parser.add_argument("--cache-dir", help="where indexes and uploads are kept (QA_CACHE_DIR)")
    parser.add_argument("--threads", type=int, help="CPU threads for torch and FAISS (QA_THREADS)")
    parser.add_argument("--k", type=int, dest="top_k", help="passages retrieved (QA_TOP_K)")
    parser.add_argument("--backend", choices=BACKENDS,
                        help="run the model with ONNX Runtime or torch (QA_BACKEND; default auto)")
    parser.add_argument("--precision", choices=PRECISIONS,
                        help="auto (bf16 passages for large builds where the CPU has it), fp32, int8 or bf16 "
                        "(QA_PRECISION; default auto)")
    parser.add_argument("--store", help="faiss (default), milvus:PATH.db (Milvus Lite) or milvus:http://host:19530 "
                        "(QA_STORE; Milvus needs pip install -e '.[scale]')")
    parser.add_argument("--threshold", type=float,
                        help="refuse below this answerability, 0..1 (QA_THRESHOLD; default: the fitted one)")


def from_arguments(args: argparse.Namespace) -> dict[str, Any]:
    """The settings given by flags added with ``add_arguments`` (None: not given)."""
    return {name: getattr(args, name, None) for name in ENV}


_BOOLS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}


def _coerce(name: str, value: Any) -> Any:
    """Turn an environment string or CLI value into the setting's type, or say why not."""
    if name == "articles" and isinstance(value, str) and re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", value.strip()):
        if not re.match(r"^https?://[^/\s]", value.strip(), re.IGNORECASE):
            raise ValueError(f"setting articles: only http(s) links can be read, got {value.strip()[:200]!r}")
        return value.strip()
    if name in ("articles", "cache_dir"):
        return Path(value).expanduser()
    if name in ("threads", "top_k", "candidates", "pack_tokens", "max_sentences", "max_list_sentences",
                "max_article_bytes", "max_question_chars", "batch_size", "max_history_turns", "max_history_chars",
                "max_upload_files", "max_upload_bytes", "max_uploads_total_bytes", "upload_days",
                "max_upload_passages"):
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ValueError(f"setting {name} must be a whole number, got {value!r}") from None
        low = 0 if name == "threads" else 1
        if number < low:
            raise ValueError(f"setting {name} must be at least {low}, got {number}")
        return number
    if name == "threshold":
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"setting threshold must be a number from 0 to 1, got {value!r}") from None
        if not 0 <= number <= 1:
            raise ValueError(f"setting threshold must be from 0 to 1, got {number}")
        return number
    if name in ("shared_uploads", "freeze_gc"):
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text not in _BOOLS:
            raise ValueError(f"setting {name} must be true or false (1/0, yes/no), got {value!r}")
        return _BOOLS[text]
    if name == "backend":
        if value not in BACKENDS:
            raise ValueError(f"setting backend must be auto, onnx or torch, got {value!r}")
        return value
    if name == "precision":
        if value not in PRECISIONS:
            raise ValueError(f"setting precision must be {', '.join(PRECISIONS)}, got {value!r}")
        return value
    if name == "store":
        text = str(value).strip()
        store_kind(text)  # raises ValueError saying what is accepted
        return text
    if name == "model":
        text = str(value).strip()
        if not text:
            raise ValueError("setting model must not be empty")
        return text
    return value


def store_kind(value: str) -> tuple[str, str]:
    """("faiss", "") or ("milvus", its path or URL) from a ``store`` setting; ValueError for anything else.

    >>> store_kind("faiss"), store_kind("milvus:qa.db"), store_kind("milvus:http://milvus:19530")
    (('faiss', ''), ('milvus', 'qa.db'), ('milvus', 'http://milvus:19530'))
    """
    kind, _, target = str(value).strip().partition(":")
    if kind == "faiss" and not target:
        return kind, ""
    target = target.strip()
    if kind == "milvus" and (target.endswith(".db") or re.match(r"https?://", target)):
        return kind, target
    raise ValueError(f"setting store must be faiss, milvus:PATH.db (Milvus Lite) or milvus:http://host:19530, "
                     f"got {value!r}")
