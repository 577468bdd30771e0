"""The process settings that keep article QA offline and its files inside the cache folder.

Measured with ``strace`` on this machine's onnxruntime 1.32 build: on import it
records telemetry (device id, Python path, model file name) into
``~/.cache/Microsoft/DeveloperTools`` and resolves
``mobile.events.data.microsoft.com`` every few seconds; ``ORT_DISABLE_TELEMETRY=1``
set before the import stops both (``onnxruntime.disable_telemetry_events()``
does not). Importing ``sentence_transformers`` makes
``$TMPDIR/torchinductor_<user>``; Gradio keeps its temporary files (uploads
included) in ``$TMPDIR/gradio`` unless ``GRADIO_TEMP_DIR`` says otherwise and
reads it when it is imported.

``embeddings`` applies ``no_telemetry()`` when it is imported, so it holds
before onnxruntime can be; the rest is applied where its fact is known (the
model is a local folder, the cache folder is resolved). Leaves out: what a
user explicitly asks for, such as a hub model name or a ``--share`` link.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

TELEMETRY_OFF = {
    "ORT_DISABLE_TELEMETRY": "1",  # ONNX Runtime (see above)
    "GRADIO_ANALYTICS_ENABLED": "False",  # Gradio's usage reports and version check
    "HF_HUB_DISABLE_TELEMETRY": "1",  # huggingface_hub's usage pings
    # Ray's usage reports (python -m qa index --ray): a local ray.init of a release turns them off
    # itself; this says so for every Ray process we start, whatever the version.
    "RAY_USAGE_STATS_ENABLED": "0",
}


def no_telemetry() -> None:
    """Turn off every library's telemetry for this process and its children (always: a product promise)."""
    os.environ.update(TELEMETRY_OFF)


def hub_offline() -> None:
    """Never ask the Hugging Face hub: for a model in a local folder, the bundled default included.

    The environment covers libraries imported later; huggingface_hub reads
    ``constants.HF_HUB_OFFLINE`` on each request, so a copy already imported
    (Gradio imports it) is switched too.
    """
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    constants = sys.modules.get("huggingface_hub.constants")
    if constants is not None:
        constants.HF_HUB_OFFLINE = True


def scratch_in(cache_dir: Path | str) -> None:
    """Keep torch's and Gradio's scratch files under ``cache_dir`` unless the user placed them already.

    Call before importing torch, sentence-transformers or gradio: they read
    these variables when imported.
    """
    cache_dir = scratch_folder(Path(cache_dir))
    os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", str(cache_dir / "torch"))
    os.environ.setdefault("GRADIO_TEMP_DIR", str(cache_dir / "gradio"))


def scratch_folder(cache_dir: Path) -> Path:
    """``cache_dir`` when scratch files can be written there; else a folder of this user's in the system's
    temporary folder (a read-only cache still serves what it holds, but nothing can be made in it)."""
    cache_dir = Path(cache_dir).expanduser().resolve()
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        if os.access(cache_dir, os.W_OK | os.X_OK):
            return cache_dir
    except OSError:
        pass
    import tempfile

    return Path(tempfile.gettempdir()) / f"article-qa-{os.getuid() if hasattr(os, 'getuid') else 'user'}"
