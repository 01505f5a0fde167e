"""mlcycle example-data: write the example user tables, one per task, where their dataset
configs read them (config/datasets/example_user.yaml, example_regression.yaml,
example_multiclass.yaml)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from mlcycle.config import load_dataset_config
from mlcycle.data.example import next_plan_table, spend_table, user_table
from mlcycle.project import find_project

# the dataset config that reads each table -> what writes it
EXAMPLES: dict[str, Callable[[int], pd.DataFrame]] = {
    "config/datasets/example_user.yaml": user_table,  # binary: churned or not
    "config/datasets/example_regression.yaml": spend_table,  # a number: next quarter's spend
    "config/datasets/example_multiclass.yaml": next_plan_table,  # four classes: the next plan
}
EXAMPLE_CONFIG = next(iter(EXAMPLES))  # the binary one, the README's first example


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mlcycle example-data", description=__doc__)
    parser.add_argument("folder", type=Path, nargs="?", help="where to write the tables "
                        "(default: where each example config reads its table)")  # fmt: skip
    parser.add_argument("--rows", type=int, default=5000)
    args = parser.parse_args(argv)
    project = find_project()
    for config_path, table in EXAMPLES.items():
        source = Path(str(load_dataset_config(project / config_path).source.path))
        path = source if args.folder is None else args.folder / source.name
        path.parent.mkdir(parents=True, exist_ok=True)
        table(args.rows).to_csv(path, index=False)
        print(f"wrote {path} (for {config_path})")
    return 0
