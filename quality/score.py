"""Quality score of one run (0-100), overall and per GB/T 36344 dimension.

Formula (documented in quality/README.md):
- each check's pass rate r = 1 - unexpected_count / element_count, clamped to [0, 1]
  (a rowCount check, one GX could not evaluate or one run with result_format BOOLEAN_ONLY
  (no counts): 1 if passed else 0; an empty table: 1);
- each dimension's score = 100 × the severity-weighted mean of its checks' pass rates
  (blocking `error` checks weigh 2, `warning` checks 1);
- rows quarantined before the check never reach it, so the quarantined share
  q = rows_quarantined / rows_in lowers completeness and validity: those scores are
  multiplied by (1 - q); with no check in either dimension, validity = 100 × (1 - q);
- overall = the unweighted mean of the dimension scores (each dimension counts once,
  however many rules it has).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

SEVERITY_WEIGHT = {"error": 2.0, "warning": 1.0}
QUARANTINE_DIMENSIONS = ("completeness", "validity")


@dataclass(frozen=True)
class QualityScore:
    overall: float
    by_dimension: dict[str, float]


def pass_rate(result) -> float:
    """One check's pass rate in [0, 1] (see module doc)."""
    if (
        getattr(result, "error", None)
        or result.unexpected_count is None
        or result.expectation_type == "expect_table_row_count_to_be_between"
    ):
        return 1.0 if result.passed else 0.0
    if result.element_count <= 0:
        return 1.0
    return min(1.0, max(0.0, 1.0 - result.unexpected_count / result.element_count))


def score(results: Iterable, rows_in: int, rows_quarantined: int) -> QualityScore:
    if rows_in < 0 or rows_quarantined < 0 or rows_quarantined > rows_in:
        raise ValueError(
            f"need 0 <= rows_quarantined <= rows_in, got rows_in={rows_in}, "
            f"rows_quarantined={rows_quarantined}"
        )
    weighted: dict[str, float] = defaultdict(float)
    weights: dict[str, float] = defaultdict(float)
    for result in results:
        w = SEVERITY_WEIGHT.get(str(result.severity), 1.0)
        weighted[str(result.dimension)] += w * pass_rate(result)
        weights[str(result.dimension)] += w
    by_dimension = {d: 100.0 * weighted[d] / weights[d] for d in weights}
    kept = 1.0 - (rows_quarantined / rows_in if rows_in else 0.0)
    if not any(d in by_dimension for d in QUARANTINE_DIMENSIONS):
        by_dimension["validity"] = 100.0
    for d in QUARANTINE_DIMENSIONS:
        if d in by_dimension:
            by_dimension[d] *= kept
    by_dimension = {d: round(v, 2) for d, v in sorted(by_dimension.items())}
    overall = round(sum(by_dimension.values()) / len(by_dimension), 2)
    return QualityScore(overall=overall, by_dimension=by_dimension)
