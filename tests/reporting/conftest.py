"""A planted products tree: the JSON, notebooks and reports a build leaves, written by hand so
each figure the hub shows is known in advance."""

import json
from pathlib import Path

import pytest


def notebook(path: Path, title: str, error: str | None = None) -> Path:
    cells = [{"cell_type": "markdown", "metadata": {}, "source": [f"# 7. {title}\n", "text"]}]
    outputs = []
    if error:
        ename, evalue = error.split(": ", 1)
        outputs = [{"output_type": "error", "ename": ename, "evalue": evalue, "traceback": []}]
    cells.append({"cell_type": "code", "metadata": {}, "source": "x", "outputs": outputs,
                  "execution_count": 1})  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4,
                                "nbformat_minor": 5}))  # fmt: skip
    return path


def put(path: Path, data) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


METRICS = {
    "metrics": {
        "accuracy": 0.91,
        "roc_auc": 0.95,
        "precision": 0.8,
        "recall": 0.7,
        "f1": 0.75,
        "log_loss": 0.3,
    },  # fmt: skip
    "confusion": {"tn": 1, "fp": 1, "fn": 1, "tp": 1},
    "test_rows": 400,
    "run_id": "r1",
    "groups": [],
    "gate": {"metric": "accuracy", "value": 0.91, "threshold": 0.85, "passed": True},
}


@pytest.fixture
def planted(tmp_path):
    """{stage: {product key: path}} for validate, evaluate, register and monitor, all built."""
    out = tmp_path / "products"
    reports = out / "reports"
    stages = {
        "validate": {
            "nb": notebook(out / "nb" / "validate.ipynb", "Validate"),
            "report": put(reports / "validate.html", "<html>validate</html>"),
            "summary": put(
                out / "v.json",
                {  # a Validation record (mlcycle.records)
                    "dataset": "customer_churn",
                    "source": "generator",
                    "rows": 1234,
                    "passed": True,
                    "problems": [],
                    "notes": [],
                    "task": "binary",
                    "fixes": ["'x': 1 blank text value(s) treated as missing"],
                },
            ),  # fmt: skip
        },
        "evaluate": {
            "nb": notebook(out / "nb" / "evaluate.ipynb", "Evaluate"),
            "report": put(reports / "evaluate.html", "<html>evaluate</html>"),
            "metrics": put(out / "metrics.json", METRICS),
        },
        "register": {
            "nb": notebook(out / "nb" / "register.ipynb", "Register"),
            "report": put(reports / "register.html", "<html>register</html>"),
            "registry": put(
                out / "registry.json",
                {  # a Registration record (mlcycle.records)
                    "model_name": "customer_churn",
                    "version": "4",
                    "champion_before": "3",
                    "champion_after": "4",
                    "promoted": True,
                    "reason": "challenger beats champion",
                    "metric": "roc_auc",
                    "challenger_score": 0.95,
                    "champion_score": 0.94,
                },
            ),  # fmt: skip
        },
        "monitor": {
            "nb": notebook(out / "nb" / "monitor.ipynb", "Monitor"),
            "report": put(reports / "monitor.html", "<html>monitor</html>"),
            "drift_report": put(reports / "monitoring" / "drift.html", "<html>drift</html>"),
            "drift": put(out / "drift.json", {"dataset_drift": True, "drift_share": 0.6}),
            "decision": put(
                out / "decision.json",
                {
                    "retrain": True,
                    "reasons": ["drift"],
                    "figures": {},
                    "window": "",
                    "champion": "4",
                },
            ),  # fmt: skip
        },
    }
    return {name: {k: str(v) for k, v in prods.items()} for name, prods in stages.items()}
