"""mlcycle example-data: write the example user table (config/datasets/example_user.yaml)."""

from __future__ import annotations

import argparse
from pathlib import Path

from mlcycle.config import load_dataset_config
from mlcycle.data.example import user_table
from mlcycle.project import find_project

EXAMPLE_CONFIG = "config/datasets/example_user.yaml"  # the dataset config that reads the table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mlcycle example-data", description=__doc__)
    parser.add_argument("folder", type=Path, nargs="?", help="where to write accounts.csv "
                        f"(default: where {EXAMPLE_CONFIG} reads it)")  # fmt: skip
    parser.add_argument("--rows", type=int, default=5000)
    args = parser.parse_args(argv)
    if args.folder is None:
        config = load_dataset_config(find_project() / EXAMPLE_CONFIG)
        args.folder = Path(str(config.source.path)).parent
    args.folder.mkdir(parents=True, exist_ok=True)
    path = args.folder / "accounts.csv"
    user_table(args.rows).to_csv(path, index=False)
    print(f"wrote {path}")
    return 0
