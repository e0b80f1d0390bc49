"""Hypothesis profiles for the fuzz tests.

`ci` (the default) is reproducible: the examples are derived from each test's name
(derandomize), nothing is stored between runs (no .hypothesis database), and there is no
per-example deadline (a slow CI core is not a bug). `explore` draws fresh random examples, for
a local bug hunt; `YBZ_FUZZ_SCALE` multiplies each test's example count:
`HYPOTHESIS_PROFILE=explore YBZ_FUZZ_SCALE=20 uv run pytest tests/fuzz`.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", derandomize=True, database=None, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("explore", database=None, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
