"""The benchmark's report: BENCHMARKS.md and docs/SCALE.md come whole from the results, verdicts from one run."""

from __future__ import annotations

from bench.plan import plan_fields
from bench.report import render, targets

MACHINE = {"cpu": "test CPU", "cores": 2, "ram_gib": 24.0, "os": "Linux", "python": "3.11", "model": "m",
           "versions": {"numpy": "2"}, "load_average_at_start": [0.1, 0.1, 0.1]}


def warm(passages: int, p50: float, rss: float) -> dict:
    stages = {"analyse": 0.2, "embed": 4.0, "retrieve": 1.0, "score": 1.5, "compose": 0.2, "other": 0.01}
    return {"passages": passages, "sentences": passages * 3, "dim": 384, "ask_ms_median": p50, "ask_ms_p95": 2 * p50,
            "embed_alone_ms_median": 4.0, "ratio_ask_to_embed": p50 / 4.0, "stages_ms_median": stages,
            "rss_mib": rss, "questions": 10, "recall": {"recall@10": 0.95}}


def results(**extra) -> dict:
    return {"started": "2026-11-26T13:00:00+00:00", "machine": MACHINE, "engine": {"batch_size": 8}, **extra}


def test_a_run_with_nothing_measured_still_renders_every_placeholder():
    pages = render(results(), plan_fields(results()))
    assert set(pages) == {"BENCHMARKS.md", "docs/SCALE.md"}
    assert all("$" not in text for text in pages.values())
    assert "not measured" in pages["docs/SCALE.md"]


def test_the_build_verdict_divides_times_measured_in_the_same_run():
    build = {"engine": {"build_s": 40.0, "embed_s": 35.0, "passages": 100, "sentences": 300, "passages_per_s": 2.5},
             "references": [{"pipeline": "txtai", "version": "9", "texts": 90, "build_s": 60.0, "texts_per_s": 1.5},
                            {"pipeline": "langchain", "version": "0.4", "texts": 90, "build_s": 100.0,
                             "texts_per_s": 0.9}]}
    row = next(t for t in targets(results(build=build)) if t[0].startswith("index build"))
    assert "1.50x faster than txtai" in row[1] and "2.50x faster than langchain" in row[1]
    assert row[2] == "MISSED"  # the slower rival does not count: 1.5x against txtai is short of 2x


def test_the_build_table_compares_the_tokens_each_pipeline_read_not_only_its_time():
    build = {"engine": {"build_s": 40.0, "embed_s": 35.0, "passages": 100, "sentences": 300, "passages_per_s": 2.5,
                        "tokens": 12_000, "tokens_cut": 0},
             "references": [{"pipeline": "langchain", "version": "0.4", "texts": 90, "build_s": 40.0,
                             "texts_per_s": 2.25, "tokens": 8_000, "window": 256, "texts_cut": 20,
                             "tokens_per_s": 200.0}]}
    r = results(build=build)
    row = next(t for t in targets(r) if t[0].startswith("index build"))
    assert "1.00x faster than langchain; per token read, faster than langchain 1.50x" in row[1]  # 300 tokens/s against 200
    page = render(r, plan_fields(r))["BENCHMARKS.md"]
    assert "90 paragraphs (8,000 tokens read; 20 cut at 256)" in page
    assert "100 passages in fp32 (12,000 tokens, none cut;" in page


def test_the_scale_plan_shows_its_arithmetic_from_the_measured_store():
    files = {"index.faiss": 100_000 * 1_800, "sentences.npy": 100_000 * 2_300, "records.jsonl": 100_000 * 900}
    scale = [{"corpus": "1k", "store": "faiss", "vectors": "embedded", "warm": warm(1_000, 8.0, 250.0),
              "build": {"passages_per_s": 40.0, "passages": 1_000}},
             {"corpus": "100k", "store": "faiss", "vectors": "borrowed", "warm": warm(100_000, 10.0, 1_050.0),
              "store_files": files}]
    r = results(scale=scale, memory={"rss_ready_mib": 300.0})
    scale_md = render(r, plan_fields(r))["docs/SCALE.md"]
    assert "10,000,000 × 384 × 4 B = 14.3 GiB" in scale_md  # passage vectors alone
    assert "10,000,000 × (1,800 + 2,300 + 900) B = 47 GiB" in scale_md
    assert "⌈116 ÷ 40.0 passages/s per worker (the real build)⌉ = 3" in scale_md
    assert "an app replica on Milvus" in scale_md and "not measured in this run" in scale_md  # no Milvus rows


def test_the_scale_plan_says_what_an_app_replica_on_milvus_keeps_of_every_passage():
    files = {"index.faiss": 100_000 * 1_800, "sentences.npy": 100_000 * 2_300, "records.jsonl": 100_000 * 900}
    milvus = {"passages": 100_000, "rss_mib": 3_000.0, "ask_ms_median": 50.0}
    scale = [{"corpus": "1k", "store": "faiss", "vectors": "embedded", "warm": warm(1_000, 8.0, 250.0)},
             {"corpus": "100k", "store": "faiss", "vectors": "borrowed", "warm": warm(100_000, 10.0, 1_050.0),
              "store_files": files},
             {"corpus": "100k", "store": "milvus", "warm": milvus, "cold_cached": {"total_s": 15.0}}]
    plan = plan_fields(results(scale=scale, memory={"rss_ready_mib": 300.0}))["plan_table"]
    # four numbers a passage; the start grows with the articles' first rows read
    assert "10,000,000 × 32 B (keys, sentence counts) = 0.3 GiB; start 15.0 s × 10,000,000 / 100,000 = 25 min" in plan
