import pytest

from mlcycle.data.generator import Drift, generate_customers
from mlcycle.features.table import build_model_table
from mlcycle.monitoring.drift import detect_drift


def window(config, seed, drift=None, n=1500):
    data = generate_customers(n, snapshot_date="2026-06-30", seed=seed, drift=drift)
    return build_model_table(data.customers, data.events, config)


@pytest.fixture(scope="module")
def reference(churn_config):
    return window(churn_config, seed=1)


def test_a_drifted_window_is_caught(churn_config, reference, tmp_path):
    result = detect_drift(reference, window(churn_config, 2, Drift(0.6, 0.1, 1.0)), churn_config)
    assert result.dataset_drift and result.drift_share >= 0.5
    assert result.drifted_columns == int(result.columns["drifted"].sum())
    assert {"age", "income", "payment_method"} <= set(result.columns.index[result.columns.drifted])
    assert set(result.columns.columns) == {"method", "score", "threshold", "drifted"}
    result.save(tmp_path / "drift.html", tmp_path / "drift.json")
    assert (tmp_path / "drift.html").stat().st_size > 10_000
    assert (tmp_path / "drift.json").read_text().count('"method"') == len(
        churn_config.feature_names
    )


def test_a_stable_window_is_not(churn_config, reference):
    result = detect_drift(reference, window(churn_config, 3), churn_config)
    assert not result.dataset_drift and result.drift_share < 0.2 and not result.sampled


def test_large_windows_are_sampled_and_say_so(churn_config, reference):
    current = window(churn_config, 4, n=3000)
    result = detect_drift(reference, current, churn_config, max_rows=1000)
    assert result.sampled == {"reference": "1,000 of 1,500 rows", "current": "1,000 of 3,000 rows"}


def test_a_window_without_the_features_is_named(churn_config, reference):
    with pytest.raises(ValueError, match=r"lacks feature column\(s\) \['age'\]"):
        detect_drift(reference, reference.drop(columns=["age"]), churn_config)


def test_a_csv_window_of_text_is_judged_as_its_typed_self(churn_config, reference, tmp_path):
    """A CSV window arrives as text (batch scoring's reader keeps it so a bad value rejects
    its row): its numbers are parsed and its categories compared as text, so the verdicts
    are those of the same rows typed; a value that is not a number counts as missing."""
    import pandas as pd

    from mlcycle.batch.reader import open_input

    typed = window(churn_config, 8, Drift(shift=1.0))
    path = tmp_path / "window.csv"
    typed.to_csv(path, index=False)
    with open_input(str(path), churn_config.feature_names) as source:
        text = pd.concat(b.to_pandas() for b in source.batches)
    assert text[churn_config.numeric_names[0]].dtype == object  # as the monitor reads it
    as_text = detect_drift(reference, text, churn_config)
    as_typed = detect_drift(reference, typed, churn_config)
    pd.testing.assert_series_equal(as_text.columns["score"], as_typed.columns["score"])
    assert as_text.dataset_drift == as_typed.dataset_drift
    text.iloc[0, text.columns.get_loc(churn_config.numeric_names[0])] = "n/a"
    assert detect_drift(reference, text, churn_config).drifted_columns == as_typed.drifted_columns
