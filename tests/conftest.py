"""Settings shared by every test: Hypothesis profiles.

Under CI (the ``CI`` environment variable is set, as ``.ci/run`` runs) property tests are
derandomized, so a run is reproducible and cannot flake on a new random draw; developers
get Hypothesis' default random exploration with its local example database.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
