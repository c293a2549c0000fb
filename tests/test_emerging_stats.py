"""The emerging-skill statistics on cases whose answers are known or computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lmi.warehouse.emerging import (
    SkillSeries,
    accelerating,
    benjamini_hochberg,
    cochran_armitage,
    dispersion,
    rank_emerging,
)

MONTHS = 15
TOTALS = [1000] * MONTHS


def _series(key: str, counts: list[int]) -> SkillSeries:
    return SkillSeries(("t", key), key, tuple(counts))


def test_cochran_armitage_hand_computed():
    # two months, 10/100 then 30/100: scores 0, 1; s̄ = .5; p̄ = .2
    # T = 10(-.5) + 30(.5) = 10; Var = .2 * .8 * (100 * .25 + 100 * .25) = 8
    z, p = cochran_armitage([10, 30], [100, 100])
    assert z == pytest.approx(10 / math.sqrt(8))
    assert p == pytest.approx(0.5 * math.erfc(z / math.sqrt(2)))
    # with two groups it equals the pooled two-proportion z-test
    pooled = 0.2
    assert z == pytest.approx(0.2 / math.sqrt(pooled * (1 - pooled) * (2 / 100)))
    assert cochran_armitage([5, 5, 5], [50, 50, 50])[0] == pytest.approx(0.0)
    assert cochran_armitage([0, 0], [10, 10]) == (0.0, 1.0)
    assert cochran_armitage([30, 10], [100, 100])[0] < 0


def test_dispersion_binomial_vs_noisy():
    rng = np.random.default_rng(1)
    n = np.full(12, 2000)
    binomial = [dispersion(rng.binomial(n, 0.05), n)[0] for _ in range(200)]
    assert 0.85 < float(np.mean(binomial)) < 1.15            # ~1 for sampling noise only
    noisy = [dispersion(rng.binomial(n, 0.05 * np.exp(rng.normal(0, 0.3, 12))), n)[0]
             for _ in range(50)]
    assert float(np.mean(noisy)) > 3                          # 30% share noise is visible
    # a steady linear rise is a trend, not noise
    rising = [20 + 10 * t for t in range(12)]
    assert dispersion(rising, n)[0] == pytest.approx(0.0, abs=1e-9)
    assert dispersion([0] * 12, n) == (1.0, 0)


def test_accelerating():
    n = [100] * 9
    assert accelerating([1, 1, 1, 2, 2, 2, 8, 8, 8], n, 3)        # +1 then +6 per window
    assert not accelerating([1, 1, 1, 5, 5, 5, 8, 8, 8], n, 3)    # +4 then +3: slowing
    assert not accelerating([8, 8, 8, 5, 5, 5, 4, 4, 4], n, 3)    # falling
    assert not accelerating([1, 2, 3], [100] * 3, 3)              # not enough months


def test_planted_doubling_found_flat_not():
    flat = [_series(f"flat{i}", [40 + (i + m) % 5 for m in range(MONTHS)]) for i in range(20)]
    doubled = _series("double", [50] * 12 + [100] * 3)
    results = {r.label: r for r in rank_emerging([*flat, doubled], TOTALS, 3, min_count=20)}
    assert results["double"].significant and results["double"].growth == pytest.approx(2.0)
    assert results["double"].months_above == 3 and results["double"].persistent
    assert not any(results[f"flat{i}"].significant for i in range(20))
    ordered = rank_emerging([*flat, doubled], TOTALS, 3, min_count=20)
    assert ordered[0].label == "double"                          # significant first


def test_support_and_persistence_gates():
    rare = _series("rare", [1] * 12 + [6] * 3)                   # x6 but only 18 recent jobs
    spike = _series("spike", [30] * 12 + [30, 30, 200])          # one huge month only
    labels = {r.label: r for r in rank_emerging([rare, spike], TOTALS, 3, min_count=20)}
    assert "rare" not in labels                                  # under min_count: not tested
    assert labels["spike"].q < 0.05 and labels["spike"].months_above == 1
    assert not labels["spike"].persistent and not labels["spike"].significant
    lenient = rank_emerging([spike], TOTALS, 3, min_count=20, persistence=1)
    assert lenient[0].significant                                # one month is enough now


def test_new_tag_and_bh_across_skills():
    new = _series("new", [0] * 12 + [30, 35, 40])
    results = rank_emerging([new], TOTALS, 3, min_count=20)
    assert "new" in results[0].tags
    assert results[0].growth is None and results[0].significant
    many = [_series(f"s{i}", [40] * 12 + [40 + i] * 3) for i in range(10)]
    found = rank_emerging(many, TOTALS, 3, min_count=20)
    ps = {r.label: r.p for r in found}
    qs = benjamini_hochberg([ps[f"s{i}"] for i in range(10)])
    assert [r.q for r in sorted(found, key=lambda r: int(r.label[1:]))] == pytest.approx(
        qs.tolist())


def test_noise_does_not_make_emerging_skills():
    """Month-to-month share noise (x e^N(0, .2)) on 60 flat skills: no discoveries."""
    rng = np.random.default_rng(3)
    n = np.full(MONTHS, 3000)
    series = [_series(f"s{i}", rng.binomial(n, 0.04 * np.exp(rng.normal(0, 0.2, MONTHS))))
              for i in range(60)]
    assert not [r for r in rank_emerging(series, n, 3, min_count=20) if r.significant]


def test_bad_inputs():
    with pytest.raises(ValueError):
        rank_emerging([], [10, 10], 2)
    with pytest.raises(ValueError):
        rank_emerging([_series("x", [1, 2])], [10, 10, 10], 1)
    with pytest.raises(ValueError):
        rank_emerging([], [0, 0, 10], 1)
