"""Time every report query on a synthetic warehouse (default: 1M postings, 20M posting-skills).

The warehouse is generated inside DuckDB with range()/random(): 24 months, 13 provinces, 60
economic regions, 20 sectors, 500 NOC unit groups, 3,000 skills with a skewed popularity (a
few planted to grow), 10% duplicate postings, 30 credentials of 6 skills, 1 unlinked phrase
per posting. Each report runs `--repeat` times; the median and the peak RSS (VmHWM, reset
before each report) are printed as a Markdown table.

    .venv/bin/python benchmarks/bench_reports.py --postings 1000000 --db /tmp/bench_1m.duckdb
    .venv/bin/python benchmarks/bench_reports.py --postings 100000 300000 1000000
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from lmi.warehouse.aggregates import aggregates_fresh, refresh_aggregates
from lmi.warehouse.db import apply_schema
from lmi.warehouse.emerging_report import emerging_skills
from lmi.warehouse.filters import Filters
from lmi.warehouse.gaps import gap_report
from lmi.warehouse.html_report import build_html
from lmi.warehouse.reports import compare_skills, top_skills

GENERATE = """
INSERT INTO frameworks (framework_id, name, version) VALUES ('bench', 'Bench', '1');
INSERT INTO skills (framework_id, skill_id, preferred_label, skill_type, parent_id)
SELECT 'bench', 'S' || i, 'skill ' || i, 'skill', 'G' || (i // 8)
FROM range(3000) t(i);
INSERT INTO postings (posting_id, raw_id, source_id, url, title, description, date_posted,
                      province, economic_region, naics_sector, noc_code, first_seen, last_seen,
                      extractor_version)
SELECT 'P' || i, 'R' || i, 'bench', 'https://bench.test/' || i, 'job ' || i,
       'We need someone with skill ' || (i % 3000) || ' and more experience in many things.',
       DATE '2023-01-01' + CAST(floor(random() * 730) AS INTEGER),
       ['ON','QC','BC','AB','MB','SK','NS','NB','NL','PE','YT','NT','NU'][
           1 + CAST(floor(pow(random(), 2) * 13) AS INTEGER)],
       CAST(1000 + CAST(floor(random() * 60) AS INTEGER) AS VARCHAR),
       ['11','21','22','23','31-33','41','44-45','48-49','51','52','53','54','55','56','61',
        '62','71','72','81','91'][1 + CAST(floor(random() * 20) AS INTEGER)],
       CAST(10000 + CAST(floor(random() * 500) * 173 AS INTEGER) % 90000 AS VARCHAR),
       TIMESTAMP '2023-01-01', TIMESTAMP '2025-01-01', 'bench-1'
FROM range($n) t(i);
UPDATE postings SET first_seen = CAST(date_posted AS TIMESTAMP);
INSERT INTO posting_skills
SELECT p.posting_id, 'bench',
       'S' || CASE WHEN k < 2 AND random() < 0.02 * (1 + datediff('month', DATE '2023-01-01',
                                                               p.date_posted) / 6.0)
                   THEN k ELSE CAST(floor(pow(random(), 2.5) * 3000) AS INTEGER) END,
       'skill', 10, 15, 0.9, 'exact'
FROM postings AS p, range($per) r(k);
INSERT INTO unlinked_phrases
SELECT posting_id, 'phrase ' || CAST(floor(pow(random(), 3) * 5000) AS INTEGER), 0, 5, NULL,
       NULL, NULL
FROM postings;
INSERT INTO posting_clusters
SELECT posting_id,
       CASE WHEN random() < 0.1 THEN 'P' || (CAST(substr(posting_id, 2) AS BIGINT) // 2)
            ELSE posting_id END, true, 'bench'
FROM postings;
UPDATE posting_clusters SET is_canonical = (cluster_id = posting_id);
INSERT INTO microcredentials (credential_id, title, provider, learning_outcomes)
SELECT 'C' || i, 'Credential ' || i, 'Bench College', ['outcome'] FROM range(30) t(i);
INSERT INTO credential_skills
SELECT 'C' || i, 'bench', 'S' || ((i * 37 + j * 11) % 600), 'x', j, 0.9, 'exact'
FROM range(30) t(i), range(6) u(j);
"""


def build(path: Path, postings: int, per_posting: int = 20) -> None:
    """Create the synthetic warehouse at `path` (replacing it)."""
    if path.exists():
        path.unlink()
    con = duckdb.connect(str(path))
    apply_schema(con)
    for statement in GENERATE.split(";\n"):
        if statement.strip():
            values = {"n": postings, "per": per_posting}
            con.execute(statement, {k: v for k, v in values.items() if f"${k}" in statement})
    con.execute("CHECKPOINT")
    con.close()


def refresh_if_stale(path: Path) -> None:
    """Refresh the aggregates unless they are fresh and complete (prints rows and seconds)."""
    con = duckdb.connect(str(path))
    try:
        if not aggregates_fresh(con):
            cpu = time.process_time()
            stats = refresh_aggregates(con)
            con.execute("CHECKPOINT")
            print(f"refresh_aggregates {path.name}: {stats}, "
                  f"{time.process_time() - cpu:.0f} CPU s", flush=True)
    finally:
        con.close()


def _reset_peak() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reports(con: duckdb.DuckDBPyConnection) -> dict[str, Callable[[], object]]:
    """Every report the CLI offers, with typical filters."""
    return {
        "skills top (no filter)": lambda: top_skills(con, Filters()),
        "skills top --region ON --period 2024-Q3": lambda: top_skills(
            con, Filters(region="ON", period="2024-Q3")),
        "skills top --sector 54 --occupation 2": lambda: top_skills(
            con, Filters(sector="54", occupation="2")),
        "skills compare --region ON --region QC": lambda: compare_skills(
            con, Filters(region="ON"), Filters(region="QC")),
        "skills emerging": lambda: emerging_skills(con, Filters()),
        "skills emerging --region BC": lambda: emerging_skills(con, Filters(region="BC")),
        "report gaps": lambda: gap_report(con, Filters()),
        "report gaps --region ON": lambda: gap_report(con, Filters(region="ON")),
        "report gaps --period 2024-Q3": lambda: gap_report(con, Filters(period="2024-Q3")),
        "report gaps --sector 54": lambda: gap_report(con, Filters(sector="54")),
        "report gaps --region ON --period 2024-Q3 --sector 54": lambda: gap_report(
            con, Filters(region="ON", period="2024-Q3", sector="54")),
        "report html": lambda: build_html(con, Filters()),
        "report html --region ON --period 2024-Q3": lambda: build_html(
            con, Filters(region="ON", period="2024-Q3")),
    }


def bench(path: Path, repeat: int) -> list[dict[str, object]]:
    """Median wall and CPU seconds and peak RSS per report."""
    con = duckdb.connect(str(path), read_only=True)
    con.execute(f"SET threads = {os.cpu_count() or 2}")
    out = []
    for name, fn in reports(con).items():
        _reset_peak()
        times, cpu = [], []
        for _ in range(repeat):
            started, cpu_started = time.perf_counter(), time.process_time()
            fn()
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
        out.append({"report": name, "median_s": statistics.median(times), "min_s": min(times),
                    "cpu_s": statistics.median(cpu), "peak_rss_mb": _peak_mb()})
    con.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--postings", type=int, nargs="+", default=[1_000_000])
    ap.add_argument("--skills-per-posting", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--db", type=Path, default=None, help="Warehouse file (default /tmp/...).")
    ap.add_argument("--reuse", action="store_true", help="Do not rebuild an existing --db.")
    ap.add_argument("--no-aggregates", action="store_true",
                    help="Do not build skill_month_counts (time the base-table queries).")
    args = ap.parse_args()
    results: dict[str, dict[int, dict]] = {}
    load_before = os.getloadavg()[0]
    for n in args.postings:
        path = (args.db if args.db and len(args.postings) == 1
                else Path(f"/tmp/lmi_bench_{n}.duckdb"))
        if not (args.reuse and path.exists()):
            started = time.perf_counter()
            build(path, n, args.skills_per_posting)
            print(f"built {n:,} postings x {args.skills_per_posting} skills in "
                  f"{time.perf_counter() - started:.0f} s ({path.stat().st_size / 1e6:.0f} MB)",
                  flush=True)
        if not args.no_aggregates:
            refresh_if_stale(path)
        for r in bench(path, args.repeat):
            results.setdefault(r["report"], {})[n] = r
    sizes = args.postings
    growth = len(sizes) > 1
    print(f"\nload average (1 min) before / after: {load_before:.1f} / {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs; medians of {args.repeat} runs")
    print("\n| report | " + " | ".join(f"{n:,} postings: median s (min) / CPU s (peak RSS MB)"
                                       for n in sizes)
          + (f" | growth {sizes[0]:,} -> {sizes[-1]:,} |" if growth else " |"))
    print("|---|" + "---|" * (len(sizes) + growth))
    for name, by_n in results.items():
        cells = [f"{by_n[n]['median_s']:.2f} (min {by_n[n]['min_s']:.2f}) / "
                 f"{by_n[n]['cpu_s']:.2f} ({by_n[n]['peak_rss_mb']:.0f})" for n in sizes]
        if growth:
            cells.append(f"x{by_n[sizes[-1]]['median_s'] / by_n[sizes[0]]['median_s']:.1f}")
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
