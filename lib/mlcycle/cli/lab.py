"""mlcycle lab: JupyterLab at the project root (configs, env files, products and reports in
reach), the notebooks folder open, the .py notebooks opening as notebooks. A stage run there
writes to the sandbox, never to the build's products (see `sandbox` in env.yaml)."""

from __future__ import annotations

import argparse
import os

from mlcycle.cli.common import add_env_options, exec_tool, require_free_port, settings_of

FIRST_NOTEBOOK = "notebooks/collect.py"  # opened at start: the lifecycle's first stage


def lab_options(settings, port: int) -> list[str]:
    """JupyterLab's options: rooted at the project, the first stage's notebook open."""
    options = [
        f"--ServerApp.ip={settings.host}",
        f"--ServerApp.port={port}",
        f"--ServerApp.root_dir={settings.project}",
        f"--LabApp.default_url=/lab/tree/{FIRST_NOTEBOOK}",
    ]
    if hasattr(os, "getuid") and os.getuid() == 0:
        options.append("--allow-root")
    return options


def main(argv: list[str] | None = None) -> int:
    from mlcycle.orchestration.lab_settings import disable_ploomber_extensions, write_overrides

    parser = argparse.ArgumentParser(prog="mlcycle lab", description=__doc__)
    parser.add_argument("--port", type=int, default=8888)
    add_env_options(parser)
    args, rest = parser.parse_known_args(argv)
    settings = settings_of(args, rest)
    require_free_port(settings.host, args.port, f"make lab PORT={args.port + 1}")
    print(f"JupyterLab settings: {write_overrides()}")
    print(f"Ploomber's Jupyter extensions disabled in {disable_ploomber_extensions()}")
    options = lab_options(settings, args.port)
    if args.env_file:  # the notebooks read it through the settings layer
        os.environ["ENV_FILE"] = str(args.env_file)
    print(f"JupyterLab: http://{settings.host}:{args.port}/lab  (the sign-in token is in the "
          "line JupyterLab prints next; Ctrl-C stops it)")  # fmt: skip
    exec_tool("jupyter", "lab", *options)
    return 0  # not reached: JupyterLab replaces this process
