"""Normalisation speed on the demo board: postings/s (cold, warm) and batch-vs-single parity.

    .venv/bin/python benchmarks/bench_normalise.py                # 2,400 postings, starter tables
    .venv/bin/python benchmarks/bench_normalise.py --fresh-cache  # also times the first index build
    .venv/bin/python benchmarks/bench_normalise.py --fast         # n-gram NOC coder, no MiniLM

The raw rows are what the crawler stores for the demo board (JSON-LD -> JobPostingItem); the
warehouse is an in-memory DuckDB with the starter reference tables, as `lmi demo` loads them.
"index" is the one-time build (geography index, sector classifier, NOC coder incl. the sentence
model and its title embeddings); "cold" is the first pass over all postings after it, "warm" a
second pass (the encoder's phrase cache is then filled). Batches of 500, as in the loader.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from dataclasses import asdict
from datetime import datetime
from typing import Any


def demo_raw_rows(n: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(raw_postings-like rows, ground-truth board postings) for the first n demo postings."""
    from lmi.crawler.jsonld import to_item
    from lmi.demo.board import generate_postings
    from lmi.demo.server import jobposting_jsonld

    board = generate_postings(n)
    raws = []
    for p in board:
        item = asdict(
            to_item(
                jobposting_jsonld(p, "http://demo"),
                source_id="demo",
                url="http://demo" + p["url"],
                fetched_at=datetime(2026, 11, 1),
            )
        )
        salary = item.pop("salary")
        item["salary_json"] = json.dumps(salary) if salary else None
        raws.append(item)
    return raws, board


def _starter_warehouse():
    import duckdb

    from lmi.normalise.reference import load_starter_reference
    from lmi.warehouse.db import apply_schema

    con = duckdb.connect()
    apply_schema(con)
    load_starter_reference(con)
    return con


def _timed_pass(raws, con, batch: int) -> tuple[float, list[dict]]:
    from lmi.normalise.posting import normalise_postings

    out: list[dict] = []
    start = time.perf_counter()
    for i in range(0, len(raws), batch):
        out += normalise_postings(raws[i : i + batch], con=con)
    return time.perf_counter() - start, out


def _accuracy(board, out, raws) -> dict[str, float]:
    """Sector and NOC agreement with the board's ground truth (NOC: rows without a given code)."""
    sector_ok = sum(o["naics_sector"] == p["naics_sector"] for o, p in zip(out, board, strict=True))
    coded = [
        (o, p)
        for o, p, r in zip(out, board, raws, strict=True)
        if not r.get("occupational_category") and p.get("noc_code")
    ]
    noc_ok = sum(o["noc_code"] == p["noc_code"] for o, p in coded)
    return {
        "sector_accuracy": round(sector_ok / len(out), 4),
        "noc_rows_coded": len(coded),
        "noc_accuracy": round(noc_ok / max(len(coded), 1), 4),
    }


def _parity(raws, con, batch_out, sample: int) -> dict[str, Any]:
    """Per-posting path on a sample: its speed and how many rows differ from the batch path."""
    from lmi.normalise.posting import normalise_posting

    step = max(1, len(raws) // sample)
    idx = list(range(0, len(raws), step))[:sample]
    start = time.perf_counter()
    single = [normalise_posting(raws[i], con=con) for i in idx]
    seconds = time.perf_counter() - start
    differ = [i for i, s in zip(idx, single, strict=True) if s != batch_out[i]]
    codes_differ = [
        i
        for i, s in zip(idx, single, strict=True)
        if (s["noc_code"], s["naics_sector"], s["province"])
        != (batch_out[i]["noc_code"], batch_out[i]["naics_sector"], batch_out[i]["province"])
    ]
    return {
        "single_rows": len(idx),
        "single_postings_per_s": round(len(idx) / seconds, 1),
        "single_rows_differing": len(differ),
        "single_rows_differing_in_codes": len(codes_differ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postings", type=int, default=2400)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--fast", action="store_true", help="LMI_NOC_EMBEDDINGS=0")
    parser.add_argument("--fresh-cache", action="store_true", help="empty LMI_CACHE directory")
    parser.add_argument("--parity-sample", type=int, default=200)
    args = parser.parse_args()
    if args.fast:
        os.environ["LMI_NOC_EMBEDDINGS"] = "0"
    if args.fresh_cache:
        os.environ["LMI_CACHE"] = tempfile.mkdtemp(prefix="lmi-cache-")

    from lmi.normalise.location import geo_index
    from lmi.normalise.occupation import get_coder
    from lmi.normalise.refstamp import reference_stamp
    from lmi.normalise.sector import sector_classifier

    raws, board = demo_raw_rows(args.postings)
    con = _starter_warehouse()
    start = time.perf_counter()
    stamp = reference_stamp(con)
    geo_index(con, stamp=stamp.geo)
    sector_classifier(con, stamp=stamp.naics)
    coder = get_coder(con, stamp=stamp.noc)
    index_s = time.perf_counter() - start
    cold_s, out = _timed_pass(raws, con, args.batch)
    warm_s, _ = _timed_pass(raws, con, args.batch)
    report = {
        "postings": len(raws),
        "batch": args.batch,
        "noc_embeddings": coder.encoder is not None,
        "fresh_cache": args.fresh_cache,
        "index_build_s": round(index_s, 2),
        "cold_s": round(cold_s, 2),
        "cold_postings_per_s": round(len(raws) / cold_s, 1),
        "warm_s": round(warm_s, 2),
        "warm_postings_per_s": round(len(raws) / warm_s, 1),
        **_accuracy(board, out, raws),
        **_parity(raws, con, out, args.parity_sample),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
