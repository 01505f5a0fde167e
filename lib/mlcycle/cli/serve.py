"""mlcycle serve: the prediction service on the registry's champion (uvicorn, 127.0.0.1).

With `workers: N` (make serve WORKERS=N), uvicorn runs N worker processes on one port. They
share the prediction log (SQLite on one host, PostgreSQL across hosts) and the online store,
and /metrics reports all of them (Prometheus' multiprocess mode, in a folder of this run's).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import tempfile
from pathlib import Path

from mlcycle.cli.common import UserError, add_env_options, require_free_port, settings_of
from mlcycle.serving import MULTIPROC_DIR


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="mlcycle serve",
        description="Serve the champion (and the A/B arms the setting ab_arms names). Every "
        "setting is a key of env.yaml; MLCYCLE_<KEY> variables and --env--KEY override it.",
    )
    add_env_options(parser)
    args, rest = parser.parse_known_args(argv)
    settings = settings_of(args, rest)
    require_free_port(settings.host, settings.port, f"make serve PORT={settings.port + 1}")
    given = os.environ.get(MULTIPROC_DIR)  # a folder of the operator's: kept afterwards
    metrics = None
    if settings.workers > 1 or given:
        # before prometheus_client is imported: it picks its mode from this at import
        metrics = Path(given) if given else Path(tempfile.mkdtemp(prefix="mlcycle-metrics-"))
        metrics.mkdir(parents=True, exist_ok=True)
        for stale in metrics.glob("*.db"):  # a previous run's counts: start from zero
            stale.unlink()
        os.environ[MULTIPROC_DIR] = str(metrics)
    try:
        return _serve(settings)
    finally:
        if metrics is not None and not given:
            shutil.rmtree(metrics, ignore_errors=True)


def _serve(settings) -> int:
    import uvicorn

    from mlcycle.environment import apply_quiet_defaults
    from mlcycle.serving import app as service

    apply_quiet_defaults()
    served = service.Settings.of(settings)
    try:
        app = service.create_app(served)  # refuses unsafe settings before any worker starts
    except service.UnsafeSettings as exc:
        raise UserError(str(exc)) from None
    common = {
        "host": settings.host,
        "port": settings.port,
        "proxy_headers": False,
    }  # the peer is who connected: X-Forwarded-For never trusted
    if settings.workers == 1:
        uvicorn.run(app, **common)
        return 0
    os.environ[service.SETTINGS_ENV] = json.dumps(dataclasses.asdict(served))
    uvicorn.run(f"{service.__name__}:from_environment", factory=True,
                workers=settings.workers, **common)  # fmt: skip
    return 0
