"""The reference pipelines' index builds, timed on this machine in the bench's own run.

``python bench/reference.py PIPELINE PARAGRAPHS.json MODEL_DIR`` indexes the
same paragraphs the engine's build reads, with the same model, and prints one
JSON line: the seconds the indexing call took (the model already loaded, as
the engine's build is timed) and the texts it indexed. Each pipeline keeps its
library's defaults:

- ``sentence-transformers``: ``SentenceTransformer.encode`` (batch 32), each
  paragraph once: the model's work every pipeline below does, and nothing else.
- ``txtai``: ``Embeddings(path=MODEL_DIR).index(paragraphs)``.
- ``langchain``: ``FAISS.from_texts(paragraphs, HuggingFaceEmbeddings(model_name=MODEL_DIR))``.

It runs in its own venv (``bench/reference.txt``, made by ``bench/run.py``),
so txtai's and LangChain's pins never touch the engine's packages, and it
imports nothing of the engine. After the clock stops it also counts the tokens
the pipeline's model read (special tokens included, as the engine counts):
each library cuts a paragraph at its own window, sentence-transformers (and
LangChain, which calls it) at the model's ``max_seq_length``, txtai at the
tokenizer's ``model_max_length``, so a long paragraph's end is never embedded.
Leaves out: querying (only builds are compared).
"""

from __future__ import annotations

import json
import sys
import time
from importlib import metadata


def build(pipeline: str, paragraphs: list[str], model_dir: str):
    """A zero-argument function that indexes ``paragraphs`` (the model is loaded before it is returned)."""
    if pipeline == "sentence-transformers":
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(model_dir, device="cpu")
        return lambda: model.encode(paragraphs, normalize_embeddings=True)
    if pipeline == "txtai":
        from txtai import Embeddings

        embeddings = Embeddings(path=model_dir)
        embeddings.index(paragraphs[:8])  # loads the model
        return lambda: embeddings.index(paragraphs)
    if pipeline == "langchain":
        from langchain_community.vectorstores import FAISS
        from langchain_huggingface import HuggingFaceEmbeddings

        model = HuggingFaceEmbeddings(model_name=model_dir)
        return lambda: FAISS.from_texts(paragraphs, model)
    raise SystemExit(f"unknown pipeline {pipeline!r}: sentence-transformers, txtai or langchain")


def tokens_read(pipeline: str, paragraphs: list[str], model_dir: str) -> tuple[int, int, int]:
    """(tokens the pipeline's model read, its window, paragraphs cut at the window), by its library's rule."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    if pipeline == "txtai":  # txtai's pooling: max_length = the tokenizer's model_max_length
        window = int(tokenizer.model_max_length)
    else:  # SentenceTransformer.tokenize truncates at max_seq_length (HuggingFaceEmbeddings wraps it)
        from sentence_transformers import SentenceTransformer

        window = int(SentenceTransformer(model_dir, device="cpu").max_seq_length)
    lengths = [len(ids) for ids in tokenizer(paragraphs, truncation=False, verbose=False)["input_ids"]]
    return sum(min(n, window) for n in lengths), window, sum(n > window for n in lengths)


def main() -> None:
    pipeline, path, model_dir = sys.argv[1:4]
    with open(path, encoding="utf-8") as fh:
        paragraphs = json.load(fh)
    run = build(pipeline, paragraphs, model_dir)
    t = time.perf_counter()
    run()
    took = time.perf_counter() - t
    version = metadata.version({"langchain": "langchain-community"}.get(pipeline, pipeline))
    out = {"pipeline": pipeline, "version": version, "texts": len(paragraphs), "build_s": took,
           "texts_per_s": len(paragraphs) / took}
    try:  # the time is measured: a failed count must not lose it
        tokens, window, cut = tokens_read(pipeline, paragraphs, model_dir)
        out.update(tokens=tokens, window=window, texts_cut=cut, tokens_per_s=tokens / took)
    except Exception as exc:  # noqa: BLE001
        out["tokens_error"] = f"{type(exc).__name__}: {exc}"
    print("\n" + json.dumps(out))


if __name__ == "__main__":
    main()
