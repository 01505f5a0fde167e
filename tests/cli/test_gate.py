import json

import pytest

from mlcycle.cli.gate import main

METRICS = {  # an evaluate stage's record (mlcycle.records.Evaluation)
    "run_id": "r1",
    "test_rows": 300,
    "confusion": {"tn": 200, "fp": 10, "fn": 29, "tp": 61},
    "groups": [],
    "metrics": {"accuracy": 0.87, "roc_auc": 0.93, "log_loss": 0.3},
    "gate": {"metric": "accuracy", "threshold": 0.85, "value": 0.87, "passed": True},
}


@pytest.fixture
def metrics(tmp_path):
    path = tmp_path / "metrics.json"
    path.write_text(json.dumps(METRICS))
    return path


def test_the_gate_is_recomputed_from_the_metrics_not_read_from_the_flag(metrics, capsys):
    assert main(["--metrics", str(metrics)]) == 0
    assert "passed: accuracy = 0.8700 (required: at least 0.85)" in capsys.readouterr().out
    # a stricter bar in CI fails although the build's own gate passed
    assert main(["--metrics", str(metrics), "--threshold", "0.9"]) == 1
    # lower-is-better metrics are judged the right way round
    assert main(["--metrics", str(metrics), "--metric", "log_loss", "--threshold", "0.2"]) == 1
    assert main(["--metrics", str(metrics), "--metric", "log_loss", "--threshold", "0.4"]) == 0


def test_the_verdict_goes_to_the_ci_job_summary(metrics, tmp_path, monkeypatch):
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    main(["--metrics", str(metrics)])
    text = summary.read_text()
    assert text.startswith("### Quality gate passed") and "| roc_auc | 0.9300 |" in text


def test_missing_metrics_or_an_unknown_metric_say_what_is_wrong(metrics, tmp_path, capsys):
    assert main(["--metrics", str(tmp_path / "nope.json")]) == 2
    assert "does not exist (did the build run?)" in capsys.readouterr().err
    assert main(["--metrics", str(metrics), "--metric", "mcc"]) == 2
    assert "gate metric 'mcc' is not among the metrics" in capsys.readouterr().err


def test_a_record_missing_a_field_fails_by_name(tmp_path, capsys):
    from mlcycle.cli.main import main as mlcycle

    path = tmp_path / "metrics.json"
    path.write_text(json.dumps({k: v for k, v in METRICS.items() if k != "gate"}))
    assert mlcycle(["gate", "--metrics", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: not a valid Evaluation record: 'gate' field required" in err
    assert "Traceback" not in err
