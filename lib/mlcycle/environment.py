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


def tool(name: str) -> str:
    """A command-line tool installed beside this interpreter (the project's .venv), so a
    system-wide `jupyter` or `mlflow` on PATH is never picked by mistake."""
    import shutil
    import sys
    from pathlib import Path

    return shutil.which(name, path=str(Path(sys.executable).parent)) or name


def apply_quiet_defaults() -> None:
    """Set the variables above unless the user already chose a value; kernels inherit them."""
    for key, value in QUIET_DEFAULTS.items():
        os.environ.setdefault(key, value)


# Optional imports that cost seconds at start-up and that no code path of a build uses: jsonschema
# (pulled in by nbformat) compiles rfc3987_syntax's grammar at import (~1.7 s) only to offer an
# "iri" string-format check, which no notebook schema asks for.
UNUSED_OPTIONAL_IMPORTS = ("rfc3987_syntax",)


def skip_unused_optional_imports() -> None:
    """Make the modules above fail to import in this process, as if not installed, so the
    libraries that try them fall back; for command entry points, before they import Ploomber.
    A module already imported is left alone."""
    import sys

    for name in UNUSED_OPTIONAL_IMPORTS:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]
