"""Statistics for emerging skills: pure functions on counts, no database access.

A skill is *emerging* when the share of postings mentioning it in a recent window is
significantly higher than in a baseline window: one-sided two-proportion z-test per skill,
Benjamini-Hochberg control of the false discovery rate across the tested skills.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm


@dataclass(frozen=True)
class WindowCounts:
    """Postings mentioning one skill in the recent and baseline windows."""

    key: tuple[str, str]          # (framework_id, skill_id)
    label: str
    recent: int
    baseline: int


@dataclass(frozen=True)
class EmergingResult:
    key: tuple[str, str]
    label: str
    recent_count: int
    baseline_count: int
    recent_share: float
    baseline_share: float
    growth: float | None          # recent_share / baseline_share; None when baseline_share == 0
    z: float
    p: float
    q: float                      # BH-adjusted p
    significant: bool


def two_proportion_z(x_recent: int, n_recent: int, x_base: int, n_base: int,
                     alternative: str = "greater") -> tuple[float, float]:
    """Pooled two-proportion z statistic and p-value for p_recent vs p_base.

    z = (p1 - p2) / sqrt(p(1-p)(1/n1 + 1/n2)) with p = (x1+x2)/(n1+n2).
    alternative: 'greater' (p_recent > p_base, the default), 'less' or 'two-sided'.
    Returns (0.0, 1.0) when the pooled variance is zero (skill in all or no postings).
    """
    if n_recent <= 0 or n_base <= 0:
        raise ValueError("both windows need at least one posting")
    pooled = (x_recent + x_base) / (n_recent + n_base)
    var = pooled * (1 - pooled) * (1 / n_recent + 1 / n_base)
    if var <= 0:
        return 0.0, 1.0
    z = (x_recent / n_recent - x_base / n_base) / math.sqrt(var)
    if alternative == "greater":
        p = float(norm.sf(z))
    elif alternative == "less":
        p = float(norm.cdf(z))
    elif alternative == "two-sided":
        p = float(2 * norm.sf(abs(z)))
    else:
        raise ValueError(f"unknown alternative {alternative!r}")
    return z, min(p, 1.0)


def benjamini_hochberg(pvalues: Sequence[float]) -> np.ndarray:
    """BH-adjusted p-values (q-values) in the input order.

    q_(i) = min_{j >= i} (m / j) * p_(j) over the ascending order, capped at 1.
    """
    p = np.asarray(pvalues, dtype=float)
    m = p.size
    if m == 0:
        return p
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    q_sorted = np.minimum.accumulate(scaled[::-1])[::-1]
    q = np.empty(m)
    q[order] = np.minimum(q_sorted, 1.0)
    return q


def rank_emerging(counts: Sequence[WindowCounts], n_recent: int, n_base: int, *,
                  min_count: int = 20, alpha: float = 0.05) -> list[EmergingResult]:
    """Test every skill with at least `min_count` recent postings; BH across those tested.

    `significant` = q <= alpha and the recent share is higher. Sorted by q, then z descending.
    """
    tested = [c for c in counts if c.recent >= min_count]
    stats = [two_proportion_z(c.recent, n_recent, c.baseline, n_base) for c in tested]
    qs = benjamini_hochberg([p for _, p in stats])
    out = []
    for c, (z, p), q in zip(tested, stats, qs, strict=True):
        recent_share, base_share = c.recent / n_recent, c.baseline / n_base
        out.append(EmergingResult(
            key=c.key, label=c.label, recent_count=c.recent, baseline_count=c.baseline,
            recent_share=recent_share, baseline_share=base_share,
            growth=recent_share / base_share if base_share > 0 else None,
            z=z, p=p, q=float(q), significant=bool(q <= alpha and recent_share > base_share),
        ))
    return sorted(out, key=lambda r: (r.q, -r.z, r.label))

