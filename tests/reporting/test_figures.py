import json
from pathlib import Path

from mlcycle.reporting.figures import glance, stage_figures
from mlcycle.reporting.stages import read_stages

CHAMPION = {"version": "4"}


def cards(planted, champion=CHAMPION):
    stages = {s.name: s for s in read_stages(planted)}
    return {c.key: c for c in glance(stages, champion)}, stages


def test_cards_answer_the_first_questions(planted):
    got, _ = cards(planted)
    assert (got["Data"].value, got["Data"].ok) == ("1,234 rows", True)
    assert got["Newest model"].value == "accuracy 0.910" and got["Newest model"].ok is True
    assert got["Champion"].value == "version 4"
    assert got["Champion"].detail.startswith("new: v4 promoted")
    assert (got["Drift"].value, got["Drift"].ok) == ("drift", False)
    assert "60%" in got["Drift"].detail
    assert got["A/B test"].value == "none running" and got["A/B test"].ok is None


def test_a_failed_gate_and_no_champion_show_red(planted):
    metrics = Path(planted["evaluate"]["metrics"])
    data = json.loads(metrics.read_text())
    data["gate"].update(passed=False, value=0.7)
    metrics.write_text(json.dumps(data))
    got, stages = cards(planted, champion=None)
    assert got["Newest model"].ok is False and "FAILED" in got["Newest model"].detail
    assert got["Champion"].value == "none" and got["Champion"].ok is False
    assert "gate FAILED (accuracy 0.700 vs 0.85)" in stage_figures(stages["evaluate"])


def test_each_stage_gets_one_sentence_of_figures(planted):
    _, stages = cards(planted)
    assert stage_figures(stages["validate"]) == "1,234 rows passed; 1 fix applied"
    assert stage_figures(stages["register"]) == (
        "version 4 promoted to champion: challenger beats champion"
    )
    assert stage_figures(stages["monitor"]) == (
        "dataset drift (60% of columns drifted); retrain triggered"
    )
