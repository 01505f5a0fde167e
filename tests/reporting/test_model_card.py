import dataclasses

from mlcycle.config import CardText, load_dataset_config
from mlcycle.reporting.model_card import render_model_card
from mlcycle.reporting.stages import read_stages
from tests.conftest import CHURN_CONFIG

GROUPS = [
    {"feature": "gender", "group": "F", "rows": 100, "positives": 20, "accuracy": 0.90,
     "recall": 0.7, "selection_rate": 0.2},
    {"feature": "gender", "group": "M", "rows": 100, "positives": 20, "accuracy": 0.80,
     "recall": 0.5, "selection_rate": 0.1},
    {"feature": "age", "group": "18 to 40", "rows": 100, "positives": 20, "accuracy": 0.85,
     "recall": None, "selection_rate": 0.2},
    {"feature": "age", "group": "40 to 90", "rows": 100, "positives": 20, "accuracy": 0.86,
     "recall": 0.6, "selection_rate": 0.2},
]  # fmt: skip
CHAMPION = {
    "version": "4",
    "run_id": "abc123",
    "params": {"model_family": "random_forest", "train_rows": "900", "n_features": "15"},
    "metrics": {"valid_accuracy": 0.88, "test_accuracy": 0.87, "test_log_loss": 0.3},
    "tags": {"promotion.reason": "challenger beats champion", "onnx.parity": "passed"},
    "lineage": {"git_commit": "f00d", "data_fingerprint": "fp16"},
    "groups": GROUPS,
}


def card(tmp_path, planted, config=None, champion=CHAMPION):
    config = config or load_dataset_config(CHURN_CONFIG)
    stages = {s.name: s for s in read_stages(planted)}
    lineage = {"tracking_uri": "sqlite:///x.db", "champion": champion} if champion else None
    return render_model_card(config, lineage, stages, tmp_path / "card.html").read_text()


def test_the_card_has_every_section_and_flags_a_gap_between_groups(tmp_path, planted):
    html = card(tmp_path, planted)
    for section in ("Model details", "Intended use", "Out of scope", "Data", "Features",
                    "Metrics", "Performance across groups", "Limitations",
                    "Ethical considerations", "Lineage"):  # fmt: skip
        assert f"<h2>{section}</h2>" in html or f"<h3>{section}</h3>" in html, section
    assert "retention team" in html  # intended use, from the dataset config's card section
    assert "<b>gender</b>: accuracy varies by 0.100 between groups" in html
    assert '0.100 between groups <span class="bad">(review)</span>' in html
    assert "<b>age</b>: accuracy varies by 0.010 between groups</li>" in html  # under the bar
    assert "f00d" in html and "fp16" in html and "abc123" in html
    assert "at least 0" in html and "18 to 100" in html  # feature ranges from the config
    assert "60% of columns" in html  # the planted monitor found drift: a limitation now


def test_what_the_config_does_not_say_is_shown_missing_not_invented(tmp_path, planted):
    config = dataclasses.replace(load_dataset_config(CHURN_CONFIG), card=CardText())
    html = card(tmp_path, planted, config=config)
    for field in ("intended_use", "out_of_scope", "limitations", "ethical_considerations",
                  "sensitive_features"):  # fmt: skip
        assert f"Add <code>card.{field}</code> to <code>churn.yaml</code>" in html, field
    assert "retention team" not in html


def test_without_a_champion_the_card_says_so(tmp_path, planted):
    html = card(tmp_path, planted, champion=None)
    assert "There is no champion yet" in html and "Intended use" not in html
