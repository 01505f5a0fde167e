"""mlcycle serve: the prediction service on the registry's champion (uvicorn, 127.0.0.1)."""

from __future__ import annotations

import argparse

from mlcycle.cli.common import UserError, add_env_options, settings_of


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="mlcycle serve",
        description="Serve the champion (and the A/B arms the setting ab_arms names). Every "
        "setting is a key of env.yaml; MLCYCLE_<KEY> variables and --env--KEY override it.",
    )
    add_env_options(parser)
    args, rest = parser.parse_known_args(argv)
    import uvicorn

    from mlcycle.environment import apply_quiet_defaults
    from mlcycle.serving.app import Settings, UnsafeSettings, create_app

    apply_quiet_defaults()
    settings = settings_of(args, rest)
    try:
        app = create_app(Settings.of(settings))
    except UnsafeSettings as exc:
        raise UserError(str(exc)) from None
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        proxy_headers=False,  # the peer is who connected: X-Forwarded-For is never trusted
    )
    return 0
