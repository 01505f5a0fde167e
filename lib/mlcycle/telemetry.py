"""Turn off the telemetry of every library in the stack (called by entry points, not on import)."""

from __future__ import annotations

import os

TELEMETRY_OFF = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "PLOOMBER_STATS_ENABLED": "false",
    "FEAST_USAGE": "False",
}


def disable_telemetry() -> None:
    """Set the opt-out variables unless the user already chose a value."""
    for key, value in TELEMETRY_OFF.items():
        os.environ.setdefault(key, value)
