"""Validate the emerging-skill definition (lmi.warehouse.emerging.rank_emerging) by simulation.

Each corpus: 12 baseline + 3 recent months of `--jobs-per-month` jobs; 100 background skills
whose share never changes (log-uniform 0.5%..20%), and, in the planted corpora, one skill whose
share is multiplied by `effect` in the recent window, with the base share chosen so that the
planted skill has `mentions` expected mentions in the recent window. Monthly counts are
binomial; with --jitter J each month's share is also multiplied by a log-normal factor with
sd J (month-to-month noise beyond sampling, as in real postings).

Reports per (effect, mentions) the detection rate of the planted skill and the false discovery
proportion among background skills, and for no-change corpora the share of corpora with any
false discovery (= the false discovery rate when nothing changes).

    .venv/bin/python benchmarks/simulate_emerging.py --reps 200
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from lmi.warehouse.emerging import SkillSeries, rank_emerging

BASELINE, RECENT = 12, 3


def _counts(rng: np.random.Generator, n: np.ndarray, shares: np.ndarray,
            jitter: float) -> np.ndarray:
    p = shares * (np.exp(rng.normal(0.0, jitter, shares.shape)) if jitter else 1.0)
    return rng.binomial(n, np.clip(p, 0.0, 1.0))


def corpus(rng: np.random.Generator, jobs: int, effect: float | None, mentions: int,
           background: int, jitter: float) -> tuple[list[SkillSeries], np.ndarray]:
    """Background skills (+ the planted one, key 'planted', when effect is not None)."""
    months = BASELINE + RECENT
    n = np.full(months, jobs)
    base = np.exp(rng.uniform(np.log(0.005), np.log(0.2), background))
    shares = np.repeat(base[:, None], months, axis=1)
    keys = [("bg", str(i)) for i in range(background)]
    if effect is not None:
        recent_share = mentions / (jobs * RECENT)
        planted = np.full(months, recent_share / effect)
        planted[-RECENT:] = recent_share
        shares = np.vstack([shares, planted])
        keys.append(("sim", "planted"))
    counts = _counts(rng, n[None, :], shares, jitter)
    return [SkillSeries(k, k[1], tuple(int(c) for c in row))
            for k, row in zip(keys, counts, strict=True)], n


def trial(rng: np.random.Generator, jobs: int, effect: float | None, mentions: int,
          background: int, jitter: float, min_count: int, alpha: float) -> tuple[bool, int, int]:
    """(planted detected, false discoveries, discoveries) for one corpus."""
    series, n = corpus(rng, jobs, effect, mentions, background, jitter)
    found = [r for r in rank_emerging(series, n, RECENT, min_count=min_count, alpha=alpha)
             if r.significant]
    detected = any(r.key == ("sim", "planted") for r in found)
    false = sum(r.key[0] == "bg" for r in found)
    return detected, false, len(found)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--jobs-per-month", type=int, default=4000)
    ap.add_argument("--background", type=int, default=100)
    ap.add_argument("--min-count", type=int, default=20)
    ap.add_argument("--alpha", type=float, default=0.05)
    ap.add_argument("--jitter", type=float, nargs="*", default=[0.0, 0.1])
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    started = time.perf_counter()
    effects, sizes = [1.25, 1.5, 2.0, 3.0], [50, 100, 200, 500, 1000]
    common = (args.background, 0.0, args.min_count, args.alpha)
    print(f"jobs/month={args.jobs_per_month} background skills={args.background} "
          f"reps={args.reps} min_count={args.min_count} alpha={args.alpha}\n")
    print("Detection rate of the planted skill (jitter 0):")
    print("| effect | " + " | ".join(f"{m} mentions" for m in sizes) + " | FDR (mean V/R) |")
    print("|---|" + "---|" * (len(sizes) + 1))
    for effect in effects:
        cells, fdp_sum, corpora = [], 0.0, 0
        for m in sizes:
            hits = 0
            for _ in range(args.reps):
                d, f, r = trial(rng, args.jobs_per_month, effect, m, *common)
                hits += d
                fdp_sum += f / r if r else 0.0
                corpora += 1
            cells.append(f"{hits / args.reps:.0%}")
        print(f"| x{effect:g} | " + " | ".join(cells) + f" | {fdp_sum / corpora:.1%} |")
    print("\nNo-change corpora (every share constant):")
    print("| jitter | corpora with any false discovery | false discoveries per corpus |")
    print("|---|---|---|")
    for jitter in args.jitter:
        any_false, total_false = 0, 0
        for _ in range(args.reps):
            _, f, _ = trial(rng, args.jobs_per_month, None, 0, args.background, jitter,
                            args.min_count, args.alpha)
            any_false += f > 0
            total_false += f
        print(f"| {jitter:g} | {any_false / args.reps:.1%} | {total_false / args.reps:.3f} |")
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
