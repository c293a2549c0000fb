"""Crawl throughput: our crawler on the local demo board vs `scrapy bench` on this machine.

Crawls the 2,400-posting demo board served on 127.0.0.1 (listing pages, detail pages, parsing,
validation and storing in DuckDB included) with LOCAL_FAST_SETTINGS, then runs `scrapy bench`
(Scrapy's own local server and link-following spider, no parsing or storing) and reports our
pages/s as a ratio of its pages/s. Both run one after the other on the same machine.

    .venv/bin/python benchmarks/bench_crawl.py [--postings 2400] [--json]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lmi.crawler.runner import LOCAL_FAST_SETTINGS, run_crawl
from lmi.demo.board import generate_postings
from lmi.demo.server import serve_board

TARGET_RATIO = 0.5


def bench_ours(postings: int, seed: int = 20261101) -> dict[str, float]:
    """Crawl the demo board into a fresh warehouse; pages/s over the crawl's own run time."""
    board = generate_postings(postings, seed=seed)
    with tempfile.TemporaryDirectory() as tmp, serve_board(board) as base:
        t0 = time.perf_counter()
        summary = run_crawl(Path(tmp) / "bench.duckdb", "bench", [base + "/jobs?page=1"],
                            settings=LOCAL_FAST_SETTINGS)
        wall = time.perf_counter() - t0
    pages = summary["pages_fetched"]
    return {"pages": pages, "postings_stored": summary["postings_new"],
            "crawl_s": summary["elapsed_s"], "wall_s": round(wall, 2),
            "pages_per_s": round(pages / summary["elapsed_s"], 1),
            "pages_per_s_wall": round(pages / wall, 1)}


def bench_scrapy(seconds: int = 10) -> dict[str, float]:
    """`scrapy bench` outside any project (so our settings do not apply)."""
    scrapy = Path(sys.executable).with_name("scrapy")
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run([str(scrapy), "bench", "-s", f"CLOSESPIDER_TIMEOUT={seconds}"],
                              cwd=tmp, capture_output=True, text=True, timeout=seconds + 120)
    log = proc.stderr + proc.stdout
    pages = re.search(r"'response_received_count': (\d+)", log)
    elapsed = re.search(r"'elapsed_time_seconds': ([\d.]+)", log)
    if not (pages and elapsed):
        raise RuntimeError(f"could not read scrapy bench stats:\n{log[-2000:]}")
    count, secs = int(pages.group(1)), float(elapsed.group(1))
    return {"pages": count, "crawl_s": secs, "pages_per_s": round(count / secs, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postings", type=int, default=2400)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    ours = bench_ours(args.postings)
    theirs = bench_scrapy()
    ratio = ours["pages_per_s"] / theirs["pages_per_s"]
    result = {"ours": ours, "scrapy_bench": theirs, "ratio": round(ratio, 2),
              "target": TARGET_RATIO, "meets_target": ratio >= TARGET_RATIO}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"ours:         {ours['pages']} pages, {ours['postings_stored']} postings stored in "
              f"{ours['crawl_s']} s -> {ours['pages_per_s']} pages/s "
              f"({ours['pages_per_s_wall']} pages/s incl. process start, {ours['wall_s']} s)")
        print(f"scrapy bench: {theirs['pages']} pages in {theirs['crawl_s']} s -> "
              f"{theirs['pages_per_s']} pages/s")
        print(f"ratio: {ratio:.2f} (target >= {TARGET_RATIO})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
