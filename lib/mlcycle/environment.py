"""Process-wide defaults for a quiet, private run (applied by entry points, never on import)."""

from __future__ import annotations

import os

QUIET_DEFAULTS = {
    # telemetry of every library in the stack: off
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "PLOOMBER_STATS_ENABLED": "false",
    "FEAST_USAGE": "False",
    # progress bars meant for terminals only clutter the HTML reports
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
}


def apply_quiet_defaults() -> None:
    """Set the variables above unless the user already chose a value; kernels inherit them."""
    for key, value in QUIET_DEFAULTS.items():
        os.environ.setdefault(key, value)
