import pandas as pd
import pytest

from mlcycle.config import parse_dataset_config
from mlcycle.features.table import build_model_table, split_table


def test_model_table_adds_the_configured_event_features(churn_config, tiny_data):
    table = build_model_table(tiny_data.customers, tiny_data.events, churn_config)
    assert set(churn_config.feature_names) <= set(table.columns)
    assert len(table) == len(tiny_data.customers)
    assert table["total_purchases"].sum() == (tiny_data.events["event_type"] == "purchase").sum()
    assert all(table[c].dtype == float for c in churn_config.numeric_names)


def test_without_event_features_the_table_is_unchanged():
    cfg = parse_dataset_config(
        {
            "name": "s",
            "source": {"path": "x.csv"},
            "id": "i",
            "target": "y",
            "features": {"numeric": ["a"]},
        }
    )
    table = pd.DataFrame({"i": ["1"], "a": [2], "y": [0], "loaded_at": pd.Timestamp("2026-01-01")})
    got = build_model_table(table, pd.DataFrame(), cfg)
    pd.testing.assert_frame_equal(got[table.columns], table.astype({"a": float}))


def test_unknown_event_feature_is_named(churn_config, tiny_data):
    cfg = parse_dataset_config(
        {
            "name": "s",
            "source": {"generator": "customer_churn"},
            "id": "customer_id",
            "timestamp": "snapshot_ts",
            "target": "churned",
            "features": {"numeric": ["weird"]},
            "event_features": ["weird"],
        }
    )
    with pytest.raises(KeyError, match=r"event_features \['weird'\] cannot be derived"):
        build_model_table(tiny_data.customers, tiny_data.events, cfg)


def test_split_is_disjoint_complete_and_stratified(tiny_data):
    df = tiny_data.customers
    parts = split_table(df, "churned", test_size=0.2, valid_size=0.1, seed=1)
    ids = [set(p["customer_id"]) for p in parts.values()]
    assert sum(map(len, ids)) == len(df) and set.union(*ids) == set(df["customer_id"])
    assert len(parts["test"]) == 80 and len(parts["valid"]) == 40
    rate = df["churned"].mean()
    for part in parts.values():
        assert abs(part["churned"].mean() - rate) < 0.05
    again = split_table(df, "churned", test_size=0.2, valid_size=0.1, seed=1)
    assert again["test"].index.equals(parts["test"].index)


@pytest.mark.parametrize("test_size, valid_size", [(0, 0.1), (0.5, 0.5), (1.2, 0)])
def test_bad_fractions_are_refused(tiny_data, test_size, valid_size):
    with pytest.raises(ValueError, match="bad split fractions"):
        split_table(tiny_data.customers, "churned", test_size, valid_size)


def test_rows_of_several_times_split_by_time_newest_last():
    from mlcycle.features.table import TIME_SPLIT, assign_splits, split_kind

    times = pd.to_datetime(["2026-01-01"] * 60 + ["2026-01-08"] * 20 + ["2026-01-15"] * 20)
    df = pd.DataFrame({"t": times, "y": [0, 1] * 50})
    assert split_kind(df, "t") == TIME_SPLIT
    split = assign_splits(df, "y", test_size=0.2, valid_size=0.1, seed=1, time_column="t")
    assert split.value_counts().to_dict() == {"train": 70, "test": 20, "valid": 10}
    assert (df.loc[split == "test", "t"] == times.max()).all()  # the newest week is the test
    assert df.loc[split == "valid", "t"].min() >= df.loc[split == "train", "t"].max()


def test_one_time_keeps_the_stratified_split(tiny_data):
    from mlcycle.features.table import STRATIFIED_SPLIT, assign_splits, split_kind

    df = tiny_data.customers
    assert split_kind(df, "snapshot_ts") == STRATIFIED_SPLIT
    by_time = assign_splits(df, "churned", 0.2, 0.1, seed=3, time_column="snapshot_ts")
    assert by_time.equals(assign_splits(df, "churned", 0.2, 0.1, seed=3))


def test_a_numeric_target_is_split_by_deciles_and_summarised_by_its_mean(task_tables):
    from mlcycle.features.table import split_summary, split_table, stratum

    config, table = task_tables["regression"]
    target = table[config.target.column]
    strata = stratum(target)
    assert strata.nunique() == 10 and (strata.value_counts() >= 39).all()
    parts = split_table(table, config.target.column, 0.2, 0.1, seed=1)
    assert sum(len(p) for p in parts.values()) == len(table)
    test_strata = strata.loc[parts["test"].index].value_counts()
    assert test_strata.min() >= 7 and test_strata.max() <= 9  # 8 of each decile's 40
    labels = table.assign(split=pd.Series("train", index=table.index))
    labels.loc[parts["test"].index, "split"] = "test"
    summary = split_summary(labels, config.target.column)
    assert list(summary.columns) == ["rows", "mean", "std"]
    config, table = task_tables["multiclass"]
    summary = split_summary(table.assign(split="train"), config.target.column)
    assert list(summary.columns) == ["rows", "most_common", "share"]
    assert stratum(table[config.target.column]).equals(table[config.target.column])
