"""Hypothesis profiles for the fuzz tests only (nothing here changes other tests).

`werkmaat-ci` (the default) is derandomized: the default test run sees the same examples every
time, so it never fails on a new example someone else's change did not cause. It does not
shrink: a failure is reported at once with its traceback and the example as found (shrinking
these sessions can take minutes); the minimal cases found so far are plain tests next to the
properties. To explore, run `WERKMAAT_FUZZ_PROFILE=werkmaat-explore pytest tests/fuzz`: random
examples, ten times as many, shrunk, and remembered in var/hypothesis (git-ignored), where
Hypothesis keeps its caches too.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, Phase, settings
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.database import DirectoryBasedExampleDatabase

HOME = Path(__file__).resolve().parents[2] / "var" / "hypothesis"
set_hypothesis_home_dir(HOME)

SLOW_BUT_FINE = [HealthCheck.too_slow, HealthCheck.data_too_large,
                 HealthCheck.filter_too_much, HealthCheck.large_base_example]

settings.register_profile("werkmaat-ci", deadline=None, derandomize=True, database=None,
                          print_blob=True, suppress_health_check=SLOW_BUT_FINE,
                          phases=[Phase.explicit, Phase.generate])
settings.register_profile("werkmaat-explore", deadline=None, derandomize=False,
                          database=DirectoryBasedExampleDatabase(HOME / "examples"),
                          print_blob=True, suppress_health_check=SLOW_BUT_FINE)
