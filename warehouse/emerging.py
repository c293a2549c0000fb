"""Statistics for emerging skills: pure functions on monthly counts, no database access.

Definition (tested in tests/test_emerging_stats.py, validated by benchmarks/simulate_emerging.py):
a skill is *emerging* when, over a baseline window of B months followed by a recent window of
R months,

1. support: it is mentioned in at least `min_count` jobs of the recent window;
2. significance: the one-sided test of recent share > baseline share has a Benjamini-Hochberg
   q-value <= alpha (BH across every skill tested). The test is the two-proportion z-test
   with a variance that also allows for month-to-month noise in shares beyond sampling:
   Var(x_t) = e_t (1 - p) + tau^2 e_t^2 under "no change" (e_t = n_t p, p the pooled share),
   tau^2 estimated from every tested skill's baseline months around its linear trend
   (`month_noise`); with tau^2 = 0 it is exactly the pooled two-proportion z-test;
3. trend: the Cochran-Armitage test for a rising share over all B+R months (z divided by the
   same noise inflation) also has a BH q-value <= alpha;
4. persistence: its share in each of the last `persistence` months (default R) is above its
   baseline share, so one unusual month cannot make a skill emerging.

Reported beside it: the effect (growth = recent/baseline share, share_diff in points), and
tags: `new` (no mention before the recent
window), `accelerating` (the rise into the recent window is larger than the rise into the
previous window of the same length). `spreading` needs geography and is added by the report.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import special
from scipy.stats import norm


@dataclass(frozen=True)
class SkillSeries:
    """Jobs mentioning one skill per month, oldest first, aligned with the month totals."""

    key: tuple[str, str]          # (framework_id, skill_id); framework 'phrase' for unlinked
    label: str
    counts: tuple[int, ...]


@dataclass(frozen=True)
class EmergingResult:
    key: tuple[str, str]
    label: str
    recent_count: int
    baseline_count: int
    recent_share: float
    baseline_share: float
    growth: float | None          # recent_share / baseline_share; None when baseline_share == 0
    share_diff: float             # recent_share - baseline_share
    z: float                      # noise-adjusted z (= pooled two-proportion z when tau^2 = 0)
    p: float
    q: float                      # BH-adjusted p
    dispersion: float             # variance used / binomial variance (>= 1)
    trend_z: float                # Cochran-Armitage over all months (noise-adjusted)
    trend_p: float
    trend_q: float                # BH-adjusted trend_p
    months_above: int             # of the last `persistence` months, those above baseline share
    persistent: bool
    significant: bool             # the emerging definition: support, q <= alpha, persistent
    tags: tuple[str, ...] = ()
    shares: tuple[float, ...] = field(default=(), repr=False)   # monthly shares, oldest first


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
    return z, _p_value(z, alternative)


def _p_value(z: float, alternative: str) -> float:
    # special.ndtr is the standard normal cdf norm.cdf / norm.sf evaluate, without their
    # per-call overhead (about 0.2 ms, which added up over hundreds of tests per report)
    if alternative == "greater":
        return min(float(special.ndtr(-z)), 1.0)
    if alternative == "less":
        return min(float(special.ndtr(z)), 1.0)
    if alternative == "two-sided":
        return min(float(2 * special.ndtr(-abs(z))), 1.0)
    raise ValueError(f"unknown alternative {alternative!r}")


def cochran_armitage(counts: Sequence[int], totals: Sequence[int],
                     alternative: str = "greater") -> tuple[float, float]:
    """Cochran-Armitage test for a linear trend in proportions counts[t]/totals[t], scores t.

    T = sum x_t (t - s̄), s̄ = sum n_t t / N; Var(T) = p̄(1-p̄) sum n_t (t - s̄)^2, p̄ = X/N.
    Months with no postings carry no weight. Returns (z, p); (0.0, 1.0) when Var(T) = 0.
    """
    x = np.asarray(counts, dtype=float)
    n = np.asarray(totals, dtype=float)
    if x.shape != n.shape:
        raise ValueError("counts and totals differ in length")
    big_n = n.sum()
    if big_n <= 0:
        return 0.0, 1.0
    t = np.arange(x.size, dtype=float)
    s_bar = (n * t).sum() / big_n
    p_bar = x.sum() / big_n
    var = p_bar * (1 - p_bar) * (n * (t - s_bar) ** 2).sum()
    if var <= 0:
        return 0.0, 1.0
    z = float((x * (t - s_bar)).sum() / math.sqrt(var))
    return z, _p_value(z, alternative)


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


def _share(x: Sequence[int] | np.ndarray, n: Sequence[int] | np.ndarray) -> float:
    total = float(np.sum(n))
    return float(np.sum(x)) / total if total > 0 else 0.0


def accelerating(counts: Sequence[int], totals: Sequence[int], window: int) -> bool:
    """The rise into the last `window` months exceeds the rise into the `window` before it.

    Compares the shares of three consecutive windows w0, w1, w2 (w2 = the most recent):
    True when s2 - s1 > max(0, s1 - s0). Needs 3 * window months of data.
    """
    if window < 1 or len(counts) < 3 * window:
        return False
    c, n = np.asarray(counts), np.asarray(totals)
    s0, s1, s2 = (_share(c[-(i + 1) * window:len(c) - i * window],
                         n[-(i + 1) * window:len(n) - i * window]) for i in (2, 1, 0))
    return s2 - s1 > max(0.0, s1 - s0)


def dispersion(counts: Sequence[int], totals: Sequence[int]) -> tuple[float, int]:
    """Pearson dispersion of monthly counts around a linear trend in share, and its df.

    Fits share_t = a + b t by weighted least squares (weights n_t), then
    phi = sum_t (x_t - n_t p_t)^2 / (n_t p_t (1 - p_t)) / (T - 2) over months with postings.
    phi is 1 for a binomial series in expectation, larger when shares wander from month to
    month; a steady trend is not mistaken for noise. Returns (phi, T - 2); (1.0, 0) when
    there are fewer than 3 months or no mention.
    """
    x = np.asarray(counts, dtype=float)
    n = np.asarray(totals, dtype=float)
    t = np.arange(x.size, dtype=float)
    keep = n > 0
    x, n, t = x[keep], n[keep], t[keep]
    if x.size < 3 or x.sum() <= 0:
        return 1.0, 0
    share = x / n
    w = n / n.sum()
    t_bar, s_bar = (w * t).sum(), (w * share).sum()
    var_t = (w * (t - t_bar) ** 2).sum()
    slope = (w * (t - t_bar) * (share - s_bar)).sum() / var_t if var_t > 0 else 0.0
    fitted = np.clip(s_bar + slope * (t - t_bar), 0.5 / n.max(), 1 - 1e-9)
    chi = float(((x - n * fitted) ** 2 / (n * fitted * (1 - fitted))).sum())
    return chi / (x.size - 2), x.size - 2


def month_noise(counts: np.ndarray, totals: np.ndarray) -> float:
    """tau^2: squared relative month-to-month noise of shares beyond sampling, over all skills.

    Model: Var(x_t) = e_t (1 - p) + tau^2 e_t^2 (binomial sampling plus a multiplicative share
    noise of sd tau), around each skill's linear trend (e_t = n_t p_t fitted):
    tau^2 = max(0, sum_skills,t [(x_t - e_t)^2 T/(T-2) - e_t (1 - p_t)] / sum_skills,t e_t^2),
    a moment estimate pooled over skills (common skills, whose noise is measurable, weigh most).
    """
    n = np.asarray(totals, dtype=float)
    keep = n > 0
    x, n = np.asarray(counts, dtype=float)[:, keep], n[keep]
    if n.size < 3 or x.shape[0] == 0:
        return 0.0
    t = np.arange(n.size, dtype=float)
    w = n / n.sum()
    share = x / n
    t_bar = (w * t).sum()
    s_bar = (share * w).sum(axis=1, keepdims=True)
    slope = ((w * (t - t_bar)) * (share - s_bar)).sum(axis=1, keepdims=True) / (
        (w * (t - t_bar) ** 2).sum())
    fitted = np.clip(s_bar + slope * (t - t_bar), 0.5 / n.max(), 1 - 1e-9)
    e = n * fitted
    # (T - 2) / T: the trend fit uses 2 degrees of freedom of the squared residuals
    excess = ((x - e) ** 2).sum(axis=1) * n.size / (n.size - 2) - (e * (1 - fitted)).sum(axis=1)
    return max(0.0, float(excess.sum() / (e ** 2).sum()))


def _cochran_armitage_all(counts: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """`cochran_armitage` z for every row of a skills x months matrix (0.0 where Var(T) = 0)."""
    n = np.asarray(totals, dtype=float)
    big_n = n.sum()
    if big_n <= 0:
        return np.zeros(counts.shape[0])
    t = np.arange(n.size, dtype=float)
    s_bar = (n * t).sum() / big_n
    p_bar = counts.sum(axis=1) / big_n
    var = p_bar * (1 - p_bar) * (n * (t - s_bar) ** 2).sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(var > 0, (counts * (t - s_bar)).sum(axis=1) / np.sqrt(var), 0.0)


def _accelerating_all(counts: np.ndarray, totals: np.ndarray, window: int) -> np.ndarray:
    """`accelerating` for every row of a skills x months matrix."""
    if window < 1 or counts.shape[1] < 3 * window:
        return np.zeros(counts.shape[0], dtype=bool)
    m = counts.shape[1]
    s = []
    for i in (2, 1, 0):
        lo, hi = m - (i + 1) * window, m - i * window
        total = totals[lo:hi].sum()
        s.append(counts[:, lo:hi].sum(axis=1) / total if total else np.zeros(counts.shape[0]))
    return s[2] - s[1] > np.maximum(0.0, s[1] - s[0])


def rank_emerging(series: Sequence[SkillSeries], totals: Sequence[int], recent_months: int, *,
                  min_count: int = 20, alpha: float = 0.05,
                  persistence: int | None = None) -> list[EmergingResult]:
    """Apply the emerging definition (module docstring) to every skill series.

    `totals` are the jobs per month (oldest first); the last `recent_months` months are the
    recent window, the months before it the baseline. Skills under `min_count` recent jobs are
    not tested (and not in the output). Sorted: significant first, then by q, then z descending.
    """
    n = np.asarray(totals, dtype=int)
    if recent_months < 1 or recent_months >= n.size:
        raise ValueError("need 1 <= recent_months < number of months")
    k = min(persistence or recent_months, recent_months)
    n_recent, n_base = int(n[-recent_months:].sum()), int(n[:-recent_months].sum())
    if n_recent <= 0 or n_base <= 0:
        raise ValueError("both windows need at least one posting")
    for s in series:
        if len(s.counts) != n.size:
            raise ValueError(f"{s.label}: {len(s.counts)} months of counts, {n.size} of totals")
    tested = [s for s in series if sum(s.counts[-recent_months:]) >= min_count]
    if not tested:
        return []
    c_all = np.asarray([s.counts for s in tested], dtype=float)
    tau2 = month_noise(c_all[:, :-recent_months], n[:-recent_months])
    x_r, x_b = c_all[:, -recent_months:].sum(axis=1), c_all[:, :-recent_months].sum(axis=1)
    r_share, b_share = x_r / n_recent, x_b / n_base
    p_pool = (x_r + x_b) / (n_recent + n_base)
    expected = p_pool[:, None] * n[None, :]                   # e_t under "no change"
    var_month = expected * (1 - p_pool[:, None]) + tau2 * expected ** 2
    var = (var_month[:, -recent_months:].sum(axis=1) / n_recent ** 2
           + var_month[:, :-recent_months].sum(axis=1) / n_base ** 2)
    binomial = p_pool * (1 - p_pool) * (1 / n_recent + 1 / n_base)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(var > 0, (r_share - b_share) / np.sqrt(var), 0.0)
        phi = np.where(binomial > 0, var / binomial, 1.0)
    p = np.where(var > 0, norm.sf(z), 1.0)
    qs = benjamini_hochberg(p)
    trend_z = _cochran_armitage_all(c_all, n) / np.sqrt(phi)
    trend_p = norm.sf(trend_z)
    trend_q = benjamini_hochberg(trend_p)
    shares_all = np.divide(c_all, n, out=np.zeros_like(c_all), where=n > 0)
    above_all = ((shares_all[:, -k:] > b_share[:, None]) & (n[-k:] > 0)).sum(axis=1)
    speeding = _accelerating_all(c_all, n, recent_months)
    growth = np.divide(r_share, b_share, out=np.zeros_like(r_share), where=b_share > 0)
    new_skill = (x_b == 0) & (x_r > 0)
    significant = (qs <= alpha) & (trend_q <= alpha) & (r_share > b_share) & (above_all == k)
    columns = zip(tested, shares_all.tolist(), x_r.tolist(), x_b.tolist(), r_share.tolist(),
                  b_share.tolist(), growth.tolist(), (b_share > 0).tolist(), z.tolist(),
                  p.tolist(), qs.tolist(), phi.tolist(), trend_z.tolist(), trend_p.tolist(),
                  trend_q.tolist(), above_all.tolist(), new_skill.tolist(), speeding.tolist(),
                  significant.tolist(), strict=True)
    out = []
    for (s, shares, xr, xb, rs, bs, gr, has_base, zi, pi, qi, phi_i, tz, tp, tq, above, new,
         fast, sig) in columns:
        tags = tuple(t for t, on in (("new", new), ("accelerating", fast)) if on)
        out.append(EmergingResult(
            key=s.key, label=s.label, recent_count=int(xr), baseline_count=int(xb),
            recent_share=rs, baseline_share=bs, growth=gr if has_base else None,
            share_diff=rs - bs, z=zi, p=pi, q=qi, dispersion=phi_i, trend_z=tz, trend_p=tp,
            trend_q=tq, months_above=int(above), persistent=above == k, significant=sig,
            tags=tags, shares=tuple(shares)))
    return sorted(out, key=lambda r: (not r.significant, r.q, -r.z, r.label))
