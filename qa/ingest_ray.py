"""Ingestion on Ray: repair, split and embed articles as a Ray Data pipeline, locally or on a cluster.

``embed_on_ray(jobs, settings, address)`` starts Ray on this machine
(``address`` "local") or joins a running cluster (any address ``ray.init``
takes, such as "auto" or "ray://head:10001"); reads and splits articles in
tasks; embeds their passages in a pool of actors, each holding one model
(``RAY_BATCH`` passages a call, run ``settings.batch_size`` at a time as the
in-process build runs them); and yields each article as soon as all its
passages are back, for ``qa.ingest`` to store. The functions are the
in-process build's own (``qa.ingest_steps.prepare``, ``qa.ingest_steps.embed_passages``),
so the vectors match it to float rounding.

Ray runs with its usage statistics off (``embeddings.offline``). A local Ray has no dashboard,
listens on loopback only, authenticates with a token made for this run (not
kept in ``~/.ray``), and keeps its temporary files, logs and spilled objects
in ``<cache>/ray``. On a cluster, every node needs this package installed,
the article files at the same path, and the cache folder's path writable (the
model's ONNX export is made there once per node). Leaves out: GPUs, reading from
object storage, Ray's autoscaling of the actor pool.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import sys
import warnings
from pathlib import Path
from typing import Iterator

import numpy as np

from embeddings.model import Embedder, load_embedder

from .config import Settings
from .errors import ArticleError, QAError
from .ingest_steps import Indexed, Job, embed_passages, failed, prepare, read_source
from .store import passage_record, record_passage

LOCAL = "local"
# Passages an embedding actor takes per call: 8 forward passes of 8, enough to amortise Ray's per-call cost.
RAY_BATCH = 64
# Articles a splitting task takes per call.
SPLIT_BATCH = 8
# A CPU share for reading and splitting (about a tenth of embedding's work here); the rest goes to actors.
SPLIT_CPUS = 0.25
# Unix sockets live under Ray's session folder: their paths must fit in 107 bytes.
_SOCKET_ROOM = 107 - len("/session_2026-01-01_00-00-00_000000_0000000/sockets/plasma_store")


def start(address: str, cache_dir: Path) -> None:
    """Join Ray at ``address``, or start a quiet local Ray keeping its files in ``cache_dir/ray``.

    A Ray this process already runs is used as it is. Set before Ray is
    imported (as ``python -m qa index`` does), a local Ray also listens on
    loopback only and authenticates with a token of this run's own.
    """
    running = "ray" in sys.modules and sys.modules["ray"].is_initialized()
    local = address == LOCAL and not running
    temp = Path(cache_dir).expanduser().resolve() / "ray"
    if local and len(str(temp)) > _SOCKET_ROOM:
        raise QAError(f"the cache folder's path is too long for a local Ray's sockets ({temp}): "
                      f"use a --cache-dir of at most {_SOCKET_ROOM - 4} characters")
    if local and "ray" not in sys.modules:  # Ray reads these when it is imported
        # Ray finds "this machine's" address by routing towards a public one; this keeps it on loopback.
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
        # Token authentication with a token for this run only: Ray's default writes one to ~/.ray/auth_token.
        os.environ.setdefault("RAY_AUTH_MODE", "token")
        os.environ.setdefault("RAY_AUTH_TOKEN", secrets.token_hex(24))
    try:
        import ray
        import ray.data
    except ImportError as exc:
        raise QAError("running on Ray needs Ray: pip install 'article-qa[scale]' (or 'ray[data]')") from exc
    if local:
        temp.mkdir(parents=True, exist_ok=True)
        ray.init(include_dashboard=False, _temp_dir=str(temp), log_to_driver=False, configure_logging=False)
    elif not running:
        ray.init(address=address, log_to_driver=False, configure_logging=False)
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False  # qa.ingest shows one progress line of its own
    context.print_on_execution_start = False
    logging.getLogger("ray.data").setLevel(logging.ERROR)  # "progress bars disabled", "execution finished"


def pool_size(cpus: float) -> tuple[int, float]:
    """Embedding actors and the CPUs each reserves, leaving ``SPLIT_CPUS`` (or 1/16 of a cluster) for splitting.

    >>> pool_size(2), pool_size(1), pool_size(64)
    ((2, 0.875), (1, 0.75), (60, 1.0))
    """
    room = cpus - max(SPLIT_CPUS, cpus / 16)
    actors = max(1, round(room))
    return actors, min(1.0, room / actors)


def embed_on_ray(jobs: list[Job], settings: Settings, address: str) -> Iterator[Indexed]:
    """Each job's article repaired, split and embedded on Ray, in the order they finish."""
    if not jobs:
        return
    start(address, settings.cache_dir)
    import ray

    actors, actor_cpus = pool_size(float(ray.cluster_resources().get("CPU", 1)))
    items = [{"name": j.name, "path": str(j.path), "uploaded": j.uploaded} for j in jobs]
    # Small folders get smaller splitting batches, so every actor has work from the start.
    per_task = max(1, min(SPLIT_BATCH, len(items) // (4 * actors)))
    # The settings ride on the class: the pool makes each actor without arguments.
    embed = type("Embed", (_Embed,), {"settings": settings, "build_chars": sum(j.size for j in jobs) // actors})
    with warnings.catch_warnings():
        # max_restarts=0: a lost actor fails the run, which then resumes from its last flush. Ray's default
        # (restart forever) logs an error line on every run, since Ray Data keeps the actor's arguments in
        # its object store and so cannot promise the restart; passing it is deprecated (until Ray 2.64).
        warnings.simplefilter("ignore", DeprecationWarning)
        dataset = (
            ray.data.from_items(items, override_num_blocks=-(-len(items) // per_task))
            .map_batches(_split, fn_kwargs={"settings": settings}, batch_size=per_task, num_cpus=SPLIT_CPUS)
            .map_batches(embed, batch_size=RAY_BATCH, compute=ray.data.ActorPoolStrategy(size=actors),
                         num_cpus=actor_cpus, max_restarts=0)
        )
    dim: int | None = None
    pending: dict[str, dict[int, dict]] = {}
    for row in dataset.iter_rows():
        name, count = str(row["name"]), int(row["count"])
        if row["error"]:
            yield failed(name, str(row["error"]), 0)
            continue
        dim = dim or int(row["dim"])
        if count == 0:  # an article without passages
            yield _article(name, json.loads(row["info"]), [], dim)
            continue
        parts = pending.setdefault(name, {})
        parts[int(row["index"])] = row
        if len(parts) == count:
            del pending[name]
            yield _article(name, json.loads(row["info"]), [parts[i] for i in range(count)], dim)


def _article(name: str, info: dict, rows: list[dict], dim: int) -> Indexed:
    """An article put together from its passages' rows, in passage order."""
    passages = [record_passage(json.loads(row["record"]), name) for row in rows]
    vectors = np.array([np.frombuffer(row["vector"], np.float32) for row in rows], np.float32).reshape(-1, dim)
    sentences = [np.frombuffer(row["sentences"], np.float32).reshape(-1, dim) for row in rows]
    sentence_vectors = np.concatenate(sentences) if sentences else np.zeros((0, dim), np.float32)
    return Indexed(name, info, passages, vectors, sentence_vectors)


def _embedder(settings: Settings) -> Embedder:
    """This worker's model (loaded once per process, one thread: Ray gives each worker its CPU)."""
    return load_embedder(settings.model, 1, settings.backend, settings.cache_dir, settings.precision)


def _split(batch: dict[str, np.ndarray], settings: Settings) -> dict[str, np.ndarray]:
    """Articles in, one row per passage out (an unusable article: one row saying why).

    Passages are cut by the model's own token count, so a splitting worker
    loads the model too (once per process, well under a second with ONNX).
    """
    embedder = _embedder(settings)
    rows: list[dict] = []
    for name, path, uploaded in zip(batch["name"], batch["path"], batch["uploaded"]):
        name = str(name)
        try:
            data = read_source(Path(str(path)), name, settings.max_article_bytes)
            info, passages = prepare(name, data, bool(uploaded), embedder, settings)
        except ArticleError as exc:
            rows.append({"name": name, "info": "", "index": -1, "count": 0, "record": "", "error": str(exc)})
            continue
        text = json.dumps(info, ensure_ascii=False)
        rows += [{"name": name, "info": text, "index": i, "count": len(passages), "error": "",
                  "record": json.dumps(passage_record(p), ensure_ascii=False)} for i, p in enumerate(passages)]
        if not passages:
            rows.append({"name": name, "info": text, "index": -1, "count": 0, "record": "", "error": ""})
    return {key: np.array([row[key] for row in rows], dtype=object) for key in
            ("name", "info", "index", "count", "record", "error")}


class _Embed:
    """One model per actor: passage rows in, the same rows with their vectors out."""

    settings: Settings  # set on the subclass made for a run
    # This actor's share of the run, which decides bfloat16 (Embedder.encode_with_parts): at 1 thread too
    # it embeds the bench's wiki passages 1.56x faster (4,520 against 2,890 tokens/s), for ~300 MB more.
    build_chars: int = 0

    def __init__(self):
        self.embedder = _embedder(self.settings)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        groups = [[record_passage(json.loads(record), str(name))] if record else []
                  for name, record in zip(batch["name"], batch["record"])]
        embedded = embed_passages(groups, self.embedder, self.settings.batch_size, build_chars=self.build_chars)
        return {
            **batch,
            "vector": np.array([v.astype(np.float32).tobytes() for v, _ in embedded], dtype=object),
            "sentences": np.array([s.astype(np.float32).tobytes() for _, s in embedded], dtype=object),
            "dim": np.full(len(groups), self.embedder.dim),
        }
