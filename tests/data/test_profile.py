import pandas as pd

from mlcycle.data.profile import column_profile
from mlcycle.data.validation import validate


def test_profile_has_a_line_per_configured_column(churn_config, tiny_data):
    df, _ = validate(tiny_data.customers, churn_config)
    prof = column_profile(df, churn_config)
    assert list(prof.index[:3]) == ["customer_id", "snapshot_ts", "churned"]
    assert set(churn_config.table_features) <= set(prof.index)
    assert prof.loc["customer_id", "summary"] == "400 distinct"
    rate = df["churned"].mean()
    assert prof.loc["churned", "summary"] == f"positive rate {rate:.1%}"
    assert prof.loc["contract", "role"] == "categorical feature"
    assert prof.loc["contract", "summary"].startswith("3 values: ")
    age = df["age"]
    assert (
        prof.loc["age", "summary"]
        == f"{age.min():.4g} .. {age.max():.4g} (median {age.median():.4g})"
    )


def test_missing_values_are_counted(churn_config):
    df = pd.DataFrame({"customer_id": ["a", "b"], "age": [None, 30.0], "plan_type": [None, None]})
    prof = column_profile(df, churn_config)
    assert prof.loc["age", "missing"] == "50.0%"
    assert prof.loc["plan_type", "summary"] == "all missing"


def test_the_target_is_profiled_by_what_it_holds(task_tables):
    for task, expected in [("regression", " .. "), ("multiclass", "4 values: ")]:
        config, table = task_tables[task]
        summary = column_profile(table, config).loc[config.target.column, "summary"]
        assert expected in summary and "positive rate" not in summary, summary
