"""The example tables, one per task, read as their dataset configs state."""

import pytest

from mlcycle.cli.example_data import EXAMPLES, main
from mlcycle.config import load_dataset_config
from mlcycle.task import infer_task
from tests.conftest import PROJECT


@pytest.mark.parametrize("config_path", list(EXAMPLES))
def test_each_example_table_is_inferred_as_the_task_its_config_states(config_path):
    config = load_dataset_config(PROJECT / config_path)
    table = EXAMPLES[config_path](300)
    assert set(config.feature_names) | {config.id, config.target.column} <= set(table.columns)
    inferred = infer_task(table[config.target.column]).task
    assert inferred == (config.target.task or "binary")


def test_example_data_writes_every_table_under_its_config_file_name(tmp_path, capsys):
    assert main([str(tmp_path), "--rows", "50"]) == 0
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == ["accounts.csv", "next_plan.csv", "spend.csv"]
    assert "next_plan.csv (for config/datasets/example_multiclass.yaml)" in capsys.readouterr().out
