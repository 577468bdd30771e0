"""Shared fixtures: every test gets its own cache folder; the real model loads once per session."""

from __future__ import annotations

import hashlib
import http.server
import os
import re
import shutil
import tempfile
import threading
from pathlib import Path

import numpy as np
import pytest

PROJECT = Path(__file__).resolve().parent.parent
SEED = PROJECT / "seeds" / "paris-talks-ukraine.txt"
DATA = Path(__file__).resolve().parent / "data"

# Importing app.py places Gradio's and torch's scratch files under the cache folder it finds; for the
# tests that is a temporary one, never the project's .cache (removed when the session ends).
# (Child processes of the tests inherit the variables and make no folder of their own.)
_SCRATCH = None if "GRADIO_TEMP_DIR" in os.environ else tempfile.mkdtemp(prefix="article-qa-tests-")
if _SCRATCH:
    os.environ["GRADIO_TEMP_DIR"] = os.path.join(_SCRATCH, "gradio")
    os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", os.path.join(_SCRATCH, "torch"))


def pytest_sessionfinish(session, exitstatus):
    if _SCRATCH:
        shutil.rmtree(_SCRATCH, ignore_errors=True)


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path_factory, monkeypatch):
    """No test reads or writes the project's own cache, or depends on the caller's environment."""
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setenv("QA_THREADS", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    for var in ("QA_ARTICLES", "QA_MODEL", "QA_TOP_K", "QA_STORE"):
        monkeypatch.delenv(var, raising=False)


class FakeEmbedder:
    """A hash-seeded bag-of-words embedder: deterministic, instant, good enough for plumbing tests."""

    name = "fake-model"
    source = "fake-model"
    dim = 64
    max_tokens = 64
    precision = "fp32"

    def __init__(self):
        self.encoded = 0  # texts embedded so far: tests check what was (not) re-embedded

    def count_tokens(self, text: str) -> int:
        return len(text.split()) + 2

    def _vector(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for word in re.findall(r"\w+", text.lower()):
            v[int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1
        n = np.linalg.norm(v)
        return v / n if n else v

    def encode(self, texts, batch_size=32, progress=None):
        self.encoded += len(texts)
        if progress:
            progress(len(texts), len(texts))
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def encode_with_parts(self, texts, parts, batch_size=32, progress=None, build_chars=None):
        vectors = self.encode(texts, batch_size, progress)
        return vectors, [np.stack([self._vector(t[a:b]) for a, b in p]) if p else np.zeros((0, self.dim), np.float32)
                         for t, p in zip(texts, parts)]

    def encode_query(self, text):
        return self._vector(text)

    def encode_queries(self, texts):
        return np.stack([self._vector(t) for t in texts])


# "milvus-server": the Milvus store's code for a server (batched reads, deletes by filter, an HNSW index asked
# for), run against Milvus Lite: no server runs here, so Milvus's own behaviour as a server is not tested.
STORES = ("faiss", "milvus", "milvus-server")


def store_setting(kind: str, folder: Path) -> str:
    """The ``store`` setting of one kind: Milvus Lite in one file under ``folder``."""
    if kind.startswith("milvus"):
        pytest.importorskip("pymilvus", reason="the Milvus store needs the [scale] extra")
        pytest.importorskip("milvus_lite", reason="the Milvus store needs the [scale] extra")
        return f"milvus:{folder / (kind + '.db')}"  # each kind its own file: a store one built is not the other's
    return kind


@pytest.fixture(scope="session")
def milvus_folder(tmp_path_factory) -> Path:
    """One Milvus Lite file for the session (each test's corpus gets its own collections in it)."""
    return tmp_path_factory.mktemp("milvus")


@pytest.fixture(params=STORES)
def each_store(request, monkeypatch, milvus_folder) -> str:
    """Runs a test once per store kind, with QA_STORE set: the shared tests hold for both stores."""
    setting = store_setting(request.param, milvus_folder)
    monkeypatch.setenv("QA_STORE", setting)
    server_path(request.param, monkeypatch)
    return setting


def server_path(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """For "milvus-server": the Milvus store takes its Milvus Lite file for a server."""
    if kind == "milvus-server":
        import qa.milvus_store

        monkeypatch.setattr(qa.milvus_store, "is_lite", lambda settings: False)


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture(scope="session")
def embedder(tmp_path_factory):
    """The real default model (bundled weights) as users get it (ONNX Runtime), loaded once."""
    from embeddings.model import load_embedder

    return load_embedder("all-MiniLM-L6-v2", threads=1, cache_dir=tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="session")
def seed_engine(tmp_path_factory, embedder):
    """The real engine over the seed article, built once into its own cache."""
    from qa import Settings
    from qa.engine import Engine

    settings = Settings.resolve(articles=PROJECT / "seeds", cache_dir=tmp_path_factory.mktemp("seedcache"), threads=1)
    return Engine(settings, embedder=embedder)


def stored_file(folder, name: str):
    """Where the store in ``folder`` keeps its file ``name`` now (each write names its files anew)."""
    import json

    from embeddings.index import stored_path

    return stored_path(folder, json.loads((Path(folder) / "manifest.json").read_text()), name)


# ------------------------------------------------------------------ a local web site (no internet)


class Site:
    """What the server serves: path -> (status, content type, body, extra headers); and what it was asked."""

    def __init__(self):
        self.routes: dict[str, tuple[int, str, bytes, dict]] = {}
        self.asked: list[tuple[str, dict]] = []

    def add(self, path, body, kind="text/html; charset=utf-8", status=200, **headers):
        self.routes[path] = (status, kind, body, headers)


@pytest.fixture
def site():
    served = Site()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            served.asked.append((self.path, dict(self.headers)))
            status, kind, body, headers = served.routes.get(self.path, (404, "text/plain", b"missing", {}))
            etag = headers.get("ETag")
            if etag and self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(status)
            self.send_header("Content-Type", kind)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    served.base = f"http://127.0.0.1:{server.server_address[1]}"
    yield served
    server.shutdown()
    server.server_close()
