"""`mlcycle status` says why each stage would run: a param, the lib/ code, an upstream."""

import pytest

from mlcycle.orchestration.dag import make_dag, status_rows

pytestmark = pytest.mark.dag


def test_status_names_the_changed_param_and_the_upstream_that_reruns(built_project):
    rows = {name: why for name, why, _ in status_rows(_rendered(built_project, {}))}
    assert all(why is None for why in rows.values()), rows  # as built: all up to date
    rows = {n: why for n, why, _ in status_rows(_rendered(built_project, {"gate_threshold": 0.5}))}
    assert rows["evaluate"] == "params changed: gate_threshold"
    assert "upstream 'evaluate' reruns" in rows["register"]
    assert rows["collect"] is None and rows["select"] is None


def _rendered(project, overrides):
    dag = make_dag(project, None, overrides)
    dag.render(show_progress=False)
    return dag
