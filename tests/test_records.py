"""The stage records: the contract between a stage and what reads its products."""

import json

import pytest

from mlcycle.orchestration.notebook import pipeline_tasks
from mlcycle.records import (
    CATALOG,
    RECORD_VERSION,
    RecordError,
    Registration,
    TrainingRun,
    read_record,
    record_kind,
    write_record,
)
from mlcycle.reporting.stages import Stage
from tests.conftest import PROJECT

REGISTRATION = Registration(
    model_name="m", version="2", champion_before="1", champion_after="2", promoted=True,
    reason="better", metric="roc_auc", challenger_score=0.9, champion_score=0.8,
)  # fmt: skip


def test_every_catalogued_record_is_a_product_of_its_stage_in_pipeline_yaml():
    tasks = pipeline_tasks(PROJECT)
    stems = {name.split("-")[0] for name in tasks}
    for stage, key in CATALOG:
        assert stage in stems, stage
        task = next(t for n, t in tasks.items() if n.split("-")[0] == stage)
        assert key in task["product"], (stage, key)
    assert record_kind("candidate-3", "run") is CATALOG[("candidate", "run")]
    assert record_kind("select", "report") is None


def test_a_record_round_trips_with_its_version(tmp_path):
    path = tmp_path / "registry.json"
    write_record(REGISTRATION, path)
    assert json.loads(path.read_text())["record_version"] == RECORD_VERSION
    assert read_record(path, Registration) == REGISTRATION


def test_a_missing_field_fails_loudly_naming_the_file_and_the_field(tmp_path):
    path = tmp_path / "registry.json"
    raw = REGISTRATION.model_dump()
    del raw["version"]
    path.write_text(json.dumps(raw))
    with pytest.raises(RecordError, match=r"registry.json: not a valid Registration record: "
                       "'version' field required"):  # fmt: skip
        read_record(path, Registration)
    with pytest.raises(RecordError, match="does not exist: has the stage that writes it run"):
        read_record(tmp_path / "nope.json", TrainingRun)
    path.write_text("{not json")
    with pytest.raises(RecordError, match="not a readable Registration record"):
        read_record(path, Registration)


def test_the_report_pages_read_records_through_the_contract(tmp_path):
    raw = REGISTRATION.model_dump() | {"note": "a figure for people"}  # extra fields are kept
    path = tmp_path / "registry.json"
    path.write_text(json.dumps(raw))
    stage = Stage("register", "Register", "built", {"registry": path})
    assert stage.read_json("registry")["note"] == "a figure for people"
    del raw["promoted"]  # what the hub reads
    path.write_text(json.dumps(raw))
    with pytest.raises(RecordError, match="'promoted' field required"):
        stage.read_json("registry")
