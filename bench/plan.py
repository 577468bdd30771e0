"""The plan for 10M and 100M passages (``docs/SCALE.md``), worked out from the bench's figures.

Every planned number is arithmetic on figures measured in the results (the
100k FAISS store's bytes per passage, the 20k build's passages per second,
warm ``ask()`` stages at 100k, the served app's memory, Milvus Lite's insert
rate when measured) and on the few assumptions below, which the plan prints
beside them; each row shows its arithmetic. Leaves out: anything measured on
a cluster (nothing here is).
"""

from __future__ import annotations

import math

from bench.report import fmt, scale_row, table

DAY_S = 86_400
HOURS_A_MONTH = 730
KEY_BYTES = 32  # what an app process on Milvus keeps of each passage (qa/milvus_store._Snapshot: four int64)
SIZES = {"10M": 10_000_000, "100M": 100_000_000}
# Inputs that are not measured here: change them to plan for your own prices and load.
ASSUMPTIONS = {
    "query_node_gib": (64, "memory of one Milvus query node, GiB"),
    "query_node_cores": (16, "cores of one Milvus query node"),
    "memory_fill": (0.7, "share of a query node's memory given to segments (the rest: growth, compaction)"),
    "replicas": (2, "in-memory replicas of the collection (survives losing a node); also the fewest app replicas"),
    "peak_qps": (20, "questions a second at the busiest hour"),
    "app_busy": (0.5, "share of an app replica's cores busy at peak (headroom for p95)"),
    "usd_core_hour": (0.04, "price of one core for an hour, USD (on-demand cloud, roughly)"),
    "usd_gib_hour": (0.005, "price of one GiB of memory for an hour, USD"),
}


def measured(r: dict) -> dict | None:
    """The figures the plan starts from, or None when the run has no 100k FAISS row."""
    big, small = scale_row(r, "100k"), scale_row(r, "1k")
    w, files = big.get("warm") or {}, big.get("store_files") or {}
    if "passages" not in w or not files:
        return None
    built = (scale_row(r, "20k").get("build") or {}) or (small.get("build") or {})
    milvus = scale_row(r, "100k", "milvus")
    mw = milvus.get("warm") or {}
    n = w["passages"]
    known = {"index.faiss", "sentences.npy", "records.jsonl"}
    return {
        "passages": n, "sentences_per_passage": w["sentences"] / n, "dim": w.get("dim", 384),
        "index_bytes": files.get("index.faiss", 0) / n, "sentence_bytes": files.get("sentences.npy", 0) / n,
        "record_bytes": files.get("records.jsonl", 0) / n,
        "other_bytes": sum(v for k, v in files.items() if k not in known) / n,
        "rss_per_passage_mib": (w["rss_mib"] - (small.get("warm") or {}).get("rss_mib", 0))
                               / (n - (small.get("warm") or {}).get("passages", 0)),
        "build_rate": built.get("passages_per_s"), "build_passages": built.get("passages"),
        "cores": r["machine"]["cores"], "ram_gib": r["machine"]["ram_gib"],
        "ask_p50": w["ask_ms_median"], "ask_p95": w["ask_ms_p95"], "retrieve_ms": w["stages_ms_median"]["retrieve"],
        "app_rss_mib": (r.get("memory") or {}).get("rss_ready_mib"),
        "milvus_rate": (milvus.get("build") or {}).get("passages_per_s"),
        "milvus_p50": mw.get("ask_ms_median"),
        "milvus_start_s": (milvus.get("cold_cached") or {}).get("total_s"), "milvus_passages": mw.get("passages"),
    }


def plan_rows(m: dict, n: int) -> list[tuple[str, str]]:
    """(what, arithmetic = result) for ``n`` passages."""
    a = {k: v for k, (v, _) in ASSUMPTIONS.items()}
    gib = 2**30
    rows = []
    one = m["rss_per_passage_mib"] * n / 1024
    rows.append(("memory in one process (today's FAISS store)",
                 f"{n:,} × {fmt(m['rss_per_passage_mib'] * 1024, 1)} KiB = {fmt(one, 0)} GiB, against "
                 f"{m['ram_gib']} GiB on this machine"))
    vectors = n * m["dim"] * 4 / gib
    rows.append(("passage vectors alone (float32)", f"{n:,} × {m['dim']} × 4 B = {fmt(vectors, 1)} GiB"))
    per = m["index_bytes"] + m["sentence_bytes"] + m["record_bytes"]
    data = n * per / gib
    rows.append(("data a query node holds (vectors + graph, sentence vectors, passage records)",
                 f"{n:,} × ({fmt(m['index_bytes'], 0)} + {fmt(m['sentence_bytes'], 0)} + {fmt(m['record_bytes'], 0)}) B"
                 f" = {fmt(data, 0)} GiB"))
    nodes = math.ceil(data * a["replicas"] / (a["query_node_gib"] * a["memory_fill"]))
    rows.append(("Milvus query nodes", f"⌈{fmt(data, 0)} GiB × {a['replicas']} replicas / ({a['query_node_gib']} GiB × "
                 f"{a['memory_fill']})⌉ = {nodes}"))
    need = n / DAY_S
    rows.append(("rate of a one-day re-embed", f"{n:,} / {DAY_S:,} s = {fmt(need, 0)} passages/s"))
    if m["milvus_rate"]:
        shards = max(1, math.ceil(need / m["milvus_rate"]))
        rows.append(("Milvus shards (write channels) for that rate",
                     f"⌈{fmt(need, 0)} ÷ {fmt(m['milvus_rate'], 0)} passages/s read, split and written into one "
                     f"Milvus Lite (borrowed vectors)⌉ = {shards}"))
    else:
        rows.append(("Milvus shards (write channels) for that rate",
                     "Milvus's write rate not measured in this run (`make bench ARGS=\"--stores faiss,milvus\"`)"))
    if m["build_rate"]:
        workers = math.ceil(need / m["build_rate"])
        core_hours = workers * m["cores"] * 24
        rows.append((f"Ray workers ({m['cores']} cores each) for that rate",
                     f"⌈{fmt(need, 0)} ÷ {fmt(m['build_rate'], 1)} passages/s per worker (the real build)⌉ = "
                     f"{workers:,}; {workers:,} × {m['cores']} cores × 24 h = {core_hours:,} core-hours × "
                     f"${a['usd_core_hour']} = ${fmt(core_hours * a['usd_core_hour'], 0)} a re-embed"))
    app_ms = m["ask_p50"] - m["retrieve_ms"]
    per_replica = m["cores"] * a["app_busy"] * 1000 / app_ms
    replicas = max(a["replicas"], math.ceil(a["peak_qps"] / per_replica))
    rows.append((f"app replicas ({m['cores']} cores each; retrieval runs in Milvus)",
                 f"a question's own work {fmt(m['ask_p50'])} − {fmt(m['retrieve_ms'])} ms retrieval = {fmt(app_ms)} ms; "
                 f"{m['cores']} × {a['app_busy']} × 1000 / {fmt(app_ms)} = {fmt(per_replica, 0)} questions/s a replica; "
                 f"max({a['replicas']}, ⌈{a['peak_qps']} / {fmt(per_replica, 0)}⌉) = {replicas}"))
    # An app replica on Milvus reads each article's first row at open and keeps 4 numbers a passage (key, its
    # sorted copy and order, sentence count: qa/milvus_store._Snapshot); records are read when a question needs them.
    if m["milvus_start_s"] and m["milvus_passages"]:
        keys = n * KEY_BYTES / gib
        start_min = m["milvus_start_s"] * n / m["milvus_passages"] / 60
        rows.append(("an app replica on Milvus: what it keeps of every passage, and its start",
                     f"{n:,} × {KEY_BYTES} B (keys, sentence counts) = {fmt(keys, 1)} GiB; start "
                     f"{fmt(m['milvus_start_s'], 1)} s × {n:,} / {m['milvus_passages']:,} = {fmt(start_min, 0)} min"))
    else:
        rows.append(("an app replica on Milvus: what it keeps of every passage, and its start",
                     "not measured in this run (`make bench ARGS=\"--stores faiss,milvus\"`)"))
    node_month = (a["query_node_cores"] * a["usd_core_hour"] + a["query_node_gib"] * a["usd_gib_hour"]) * HOURS_A_MONTH
    app_month = (m["cores"] * a["usd_core_hour"] + (m["app_rss_mib"] or 0) / 1024 * a["usd_gib_hour"]) * HOURS_A_MONTH
    rows.append(("a query node a month", f"({a['query_node_cores']} cores × ${a['usd_core_hour']} + "
                 f"{a['query_node_gib']} GiB × ${a['usd_gib_hour']}) × {HOURS_A_MONTH} h = ${fmt(node_month, 0)}"))
    rows.append(("an app replica a month", f"({m['cores']} cores × ${a['usd_core_hour']} + "
                 f"{fmt((m['app_rss_mib'] or 0) / 1024, 2)} GiB × ${a['usd_gib_hour']}) × {HOURS_A_MONTH} h = "
                 f"${fmt(app_month, 0)}"))
    rows.append(("running cost a month",
                 f"{nodes} nodes × ${fmt(node_month, 0)} + {replicas} app replicas × ${fmt(app_month, 0)} = "
                 f"${fmt(nodes * node_month + replicas * app_month, 0)}"))
    return rows


def plan_fields(r: dict) -> dict[str, str]:
    """The values of the SCALE.md template's placeholders."""
    m = measured(r)
    assumptions = table(["assumption", "value", "meaning"],
                        [[k, str(v), what] for k, (v, what) in ASSUMPTIONS.items()])
    if m is None:
        missing = "not measured in this run: `make bench` (not `--quick`) measures the 100k rows the plan needs"
        return {"plan_inputs": missing, "plan_assumptions": assumptions, "plan_table": missing}
    inputs = table(["measured (run " + r["started"] + ")", "value"], [
        ["passages in the 100k FAISS store", f"{m['passages']:,}"],
        ["sentences per passage", fmt(m["sentences_per_passage"])],
        ["vector dimensions", str(m["dim"])],
        ["index.faiss bytes per passage (vectors + HNSW graph)", fmt(m["index_bytes"], 0)],
        ["sentences.npy bytes per passage (float16 sentence vectors)", fmt(m["sentence_bytes"], 0)],
        ["records.jsonl bytes per passage (text, spans)", fmt(m["record_bytes"], 0)],
        ["other store files, bytes per passage (manifest, lexical index)", fmt(m["other_bytes"], 0)],
        ["process memory per passage, 1k to 100k, KiB", fmt(m["rss_per_passage_mib"] * 1024, 2)],
        [f"real build, passages/s on {m['cores']} cores ({fmt(m['build_passages'], 0)} passages)",
         fmt(m["build_rate"], 1)],
        ["warm ask() at 100k, p50 / p95 ms", f"{fmt(m['ask_p50'])} / {fmt(m['ask_p95'])}"],
        ["of it retrieval (BM25 + dense + fusion), median ms", fmt(m["retrieve_ms"])],
        ["served app memory when ready, MiB", fmt(m["app_rss_mib"], 0)],
        ["Milvus Lite: passages/s written at 100k; warm ask() p50 ms",
         f"{fmt(m['milvus_rate'], 0)}; {fmt(m['milvus_p50'])}"],
        ["Milvus Lite: cached start at 100k, s", fmt(m["milvus_start_s"])],
    ])
    by_size = {label: plan_rows(m, n) for label, n in SIZES.items()}
    plan = table(["", *SIZES], [[what] + [by_size[label][i][1] for label in SIZES]
                                for i, (what, _) in enumerate(by_size[next(iter(SIZES))])])
    return {"plan_inputs": inputs, "plan_assumptions": assumptions, "plan_table": plan}
