"""A nightly run that starts with yesterday's phrase vectors on disk, against one that starts empty.

"Yesterday": the first N postings are extracted in a cold process and its phrase vectors saved
(what `lmi nightly` / `lmi demo` do through `lmi.pipeline.extract_skills`). "Today": N *other*
postings are extracted twice from empty in-memory caches, once without and once after loading
yesterday's file. The outputs must be identical (vectors are stored exactly); only time changes.
Done for the synthetic board postings and for the SkillSpan dev postings split in halves.

    .venv/bin/python benchmarks/bench_phrase_cache.py --postings 500 --framework esco --threads 2
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench_extraction import (
    board_postings,
    build_ours,
    clear_phrase_cache,
    machine_load,
    real_postings,
    timed,
)


def _skills(results: list[Any]) -> list[list[tuple]]:
    return [sorted((m.skill_id, m.start, m.end, m.confidence) for m in r.skills)
            for r in results]


def agreement(a: list[Any], b: list[Any]) -> dict[str, Any]:
    """Same skills at the same offsets in every posting, and the largest confidence change.

    Vectors encoded in another batch (yesterday's run) can differ in the last bits (fp32) or
    around 1e-3 (bf16), so confidences are compared with a tolerance, not bit for bit."""
    sa, sb = _skills(a), _skills(b)
    changed = sum(len({x[:3] for x in p} ^ {y[:3] for y in q})
                  for p, q in zip(sa, sb, strict=True))
    diffs = [abs(x[3] - y[3]) for p, q in zip(sa, sb, strict=True) if len(p) == len(q)
             for x, y in zip(p, q, strict=True)]
    return {"same_skills": changed == 0, "skills_changed": changed,
            "skills": sum(len(p) for p in sa), "max_confidence_diff": max(diffs, default=0.0)}


def compare(extractor: Any, yesterday: list[str], today: list[str], scratch: Path
            ) -> dict[str, Any]:
    """Timings of `today` without and with the phrase file written after `yesterday`."""
    path = scratch / "phrases.npz"
    clear_phrase_cache(extractor)
    list(extractor.extract_many(yesterday))
    extractor.encoder.save_phrases(path)
    clear_phrase_cache(extractor)
    plain, cold = timed(lambda: list(extractor.extract_many(today)))
    clear_phrase_cache(extractor)
    loaded, load = timed(lambda: extractor.encoder.load_phrases(path))
    warm_start, started = timed(lambda: list(extractor.extract_many(today)))
    n = len(today)
    return {
        "postings": n, "phrases_loaded": loaded, "file_mb": path.stat().st_size / 2**20,
        "empty_start_s": cold.wall_s, "empty_start_cpu_s": cold.cpu_s,
        "disk_start_s": load.wall_s + started.wall_s,
        "disk_start_cpu_s": load.cpu_s + started.cpu_s,
        "empty_postings_per_s": n / cold.wall_s,
        "disk_postings_per_s": n / (load.wall_s + started.wall_s),
        **agreement(plain, warm_start),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postings", type=int, default=500, help="board postings per day")
    parser.add_argument("--framework", choices=["esco", "starter"], default="esco")
    parser.add_argument("--threads", type=int, default=2, help="torch and BLAS threads")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args(argv)
    os.environ.setdefault("LMI_TORCH_THREADS", str(args.threads))
    report: dict[str, Any] = {"machine_before": machine_load()}
    with tempfile.TemporaryDirectory(prefix="bench_phrase_cache_") as tmp:
        scratch = Path(tmp)
        extractor, _ = build_ours(args.framework, scratch)
        board = board_postings(2 * args.postings)
        report["board"] = compare(extractor, board[:args.postings], board[args.postings:], scratch)
        real = real_postings()
        if real:
            half = len(real) // 2
            report["real"] = compare(extractor, real[:half], real[half:], scratch)
    report["machine_after"] = machine_load()
    print("| postings | n | empty start p/s | disk start p/s | empty CPU-s | disk CPU-s "
          "| phrases loaded | file MB | skills gained + lost | max confidence change |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name in ("board", "real"):
        r = report.get(name)
        if r:
            print(f"| {name} | {r['postings']} | {r['empty_postings_per_s']:.2f} "
                  f"| {r['disk_postings_per_s']:.2f} | {r['empty_start_cpu_s']:.1f} "
                  f"| {r['disk_start_cpu_s']:.1f} | {r['phrases_loaded']:,} "
                  f"| {r['file_mb']:.0f} | {r['skills_changed']:,} of {r['skills']:,} "
                  f"| {r['max_confidence_diff']:.4f} |")
    print(f"machine before: {report['machine_before']}  after: {report['machine_after']}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
