"""mlcycle lab: JupyterLab on the project, the .py notebooks opening as notebooks."""

from __future__ import annotations

import argparse
import os

from mlcycle.cli.common import add_env_options, exec_tool, settings_of


def main(argv: list[str] | None = None) -> int:
    from mlcycle.orchestration.lab_settings import disable_ploomber_extensions, write_overrides

    parser = argparse.ArgumentParser(prog="mlcycle lab", description=__doc__)
    parser.add_argument("--port", type=int, default=8888)
    add_env_options(parser)
    args, rest = parser.parse_known_args(argv)
    settings = settings_of(args, rest)
    print(f"JupyterLab settings: {write_overrides()}")
    print(f"Ploomber's Jupyter extensions disabled in {disable_ploomber_extensions()}")
    options = [
        f"--ServerApp.ip={settings.host}",
        f"--ServerApp.port={args.port}",
        f"--notebook-dir={settings.project / 'notebooks'}",
    ]
    if hasattr(os, "getuid") and os.getuid() == 0:
        options.append("--allow-root")
    if args.env_file:  # the notebooks read it through the settings layer
        os.environ["ENV_FILE"] = str(args.env_file)
    exec_tool("jupyter", "lab", *options)
    return 0  # not reached: JupyterLab replaces this process
