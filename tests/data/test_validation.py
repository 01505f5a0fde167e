import numpy as np
import pandas as pd
import pytest

from mlcycle.config import ConfigError, parse_dataset_config
from mlcycle.data.validation import DataValidationError, validate, validate_events

RAW = {
    "name": "shop",
    "source": {"path": "x.csv"},
    "id": "cid",
    "timestamp": "ts",
    "target": {"column": "left"},
    "features": {
        "numeric": {"age": {"min": 18, "max": 100}, "spend": {"min": 0, "nullable": False}},
        "categorical": {"plan": {"values": ["basic", "pro"]}, "region": {}},
    },
}


def config(**change):
    return parse_dataset_config({**RAW, **change}, "shop.yaml")


def frame(n=6, **cols):
    base = {
        "cid": [f"c{i}" for i in range(n)],
        "ts": ["2026-01-01"] * n,
        "age": [30 + i for i in range(n)],
        "spend": [10.0 * i for i in range(n)],
        "plan": ["basic", "pro"] * (n // 2),
        "region": ["n"] * n,
        "left": [0, 1] * (n // 2),
    }
    base.update(cols)
    return pd.DataFrame(base)


def test_clean_data_passes_and_is_type_normalised():
    df, report = validate(frame(), config())
    assert report.passed, report.message()
    assert df["left"].dtype == int
    assert df["age"].dtype == float
    assert pd.api.types.is_datetime64_any_dtype(df["ts"])
    report.raise_if_failed()  # does not raise


def test_generated_data_passes_the_builtin_config(churn_config, tiny_data):
    _, report = validate(tiny_data.customers, churn_config)
    assert report.passed, report.message()
    assert not validate_events(tiny_data.events, churn_config.id)


def test_numbers_stored_as_text_are_fixed_by_policy_and_reported():
    df, report = validate(frame(age=["30", " ", "", " 41 ", 50, None]), config())
    assert report.passed, report.message()
    assert df["age"].iloc[[0, 3, 4]].tolist() == [30.0, 41.0, 50.0]
    assert df["age"].iloc[[1, 2, 5]].isna().all()
    assert "'age': 2 blank text value(s) treated as missing" in report.fixes
    assert "'age': 2 number(s) stored as text converted" in report.fixes


def test_problems_name_column_problem_and_example_rows():
    df = frame(age=[30, "thirty", 15, 40, 200, 50])
    _, report = validate(df, config())
    text = report.message()
    assert not report.passed
    assert "column 'age': values that are not numbers; e.g. row 1 (cid='c1'): 'thirty'" in text
    assert "column 'age': 2 value(s) outside the allowed range [18, 100]" in text
    assert "row 2 (cid='c2'): 15" in text and "row 4 (cid='c4'): 200" in text
    with pytest.raises(DataValidationError, match="Data validation failed for dataset 'shop'"):
        report.raise_if_failed()


@pytest.mark.parametrize(
    "df_change, cfg_change, expected",
    [
        (
            {"spend": [1.0, None, 2, 3, 4, 5]},
            {},
            "column 'spend': missing values, but the config says nullable: false",
        ),
        (
            {"plan": ["basic", "gold", "pro", "basic", "pro", "basic"]},
            {},
            "column 'plan': values outside the allowed set ['basic', 'pro']: ['gold']",
        ),
        (
            {"cid": ["a", "a", "b", "c", "d", "e"]},
            {},
            "column 'cid': duplicate ids (2 rows share an id and timestamp)",
        ),
        (
            {"left": ["no", "yes"] * 3},
            {},
            "string labels ['no', 'yes']: name the positive one with 'target.positive'",
        ),
        (  # unstated, three whole numbers are classes (test_a_multiclass_target_...)
            {"left": [0, 1, 2, 0, 1, 0]},
            {"target": {"column": "left", "task": "binary"}},
            "column 'left': values other than 0/1",
        ),
        ({"left": [0] * 6}, {}, "only one class present"),
        ({"left": [0, 1, None, 0, 1, 0]}, {}, "column 'left': missing target values"),
        (
            {"ts": ["2026-01-01", "soon", None, "2026-01-01", "2026-01-01", "2026-01-01"]},
            {},
            "column 'ts': missing or unparseable timestamps",
        ),
        ({"age": [30, np.inf, 40, 41, 42, 43]}, {}, "column 'age': infinite values"),
        (
            {"left": ["churn", "stay", "stay", "maybe", "churn", "stay"]},
            {"target": {"column": "left", "positive": "churn"}},
            "expected two labels, found 3: ['churn', 'maybe', 'stay']; "
            "e.g. row 3 (cid='c3'): 'maybe'",
        ),
        ({"cid": [None, "b", "c", "d", "e", "f"]}, {}, "column 'cid': 1 missing ids"),
    ],
)
def test_each_problem_is_reported(df_change, cfg_change, expected):
    _, report = validate(frame(**df_change), config(**cfg_change))
    assert expected in report.message()


def test_a_positive_label_that_never_occurs_is_a_config_error_naming_the_key():
    # was a data problem in test_each_problem_is_reported; a typo in the config is a ConfigError
    wrong = config(target={"column": "left", "positive": "chrun"})
    with pytest.raises(ConfigError, match="shop.yaml: 'target.positive': the positive label "
                       "'chrun' never occurs in column 'left'.*did you mean 'churn'"):  # fmt: skip
        validate(frame(left=["churn", "stay"] * 3), wrong)


@pytest.mark.parametrize("kind", ["numeric", "categorical"])
def test_a_feature_blank_in_every_row_fails_by_name(kind):
    df = frame(age=[None] * 6) if kind == "numeric" else frame(region=["", " ", None] * 2)
    name = "age" if kind == "numeric" else "region"
    _, report = validate(df, config())
    assert f"column '{name}': 6 of 6 values are missing (100%), more than max_missing_share" in (
        report.message()
    )


def test_the_missing_share_threshold_comes_from_the_config():
    df = frame(age=[None, None, None, 40, 41, 42])
    assert validate(df, config())[1].passed
    assert not validate(df, config(max_missing_share=0.4))[1].passed


def test_missing_columns_are_named_with_their_role():
    df = frame().drop(columns=["plan", "left"])
    _, report = validate(df, config())
    text = report.message()
    assert "column 'left': missing from the data (the config names it as target)" in text
    assert "column 'plan': missing from the data (the config names it as feature)" in text


def test_string_and_boolean_targets_are_normalised():
    df, report = validate(
        frame(left=["stay", "churn"] * 3), config(target={"column": "left", "positive": "churn"})
    )
    assert report.passed and df["left"].tolist() == [0, 1] * 3
    assert any("'churn' -> 1" in f for f in report.fixes)
    df, report = validate(frame(left=[True, False] * 3), config())
    assert report.passed and df["left"].tolist() == [1, 0] * 3


def test_extra_columns_are_noted_not_silently_dropped():
    _, report = validate(frame(notes=["x"] * 6), config())
    assert report.passed
    assert "columns not in the config, ignored: ['notes']" in report.notes
    assert report.to_dict()["notes"] == report.notes


def test_event_log_schema():
    events = pd.DataFrame(
        {"cid": ["a"], "event_timestamp": ["nope"], "event_type": ["purchase"], "amount": [1.0]}
    )
    problems = validate_events(events, "cid")
    assert "unparseable event timestamps" in str(problems[0])
    problems = validate_events(events.drop(columns=["amount"]), "cid")
    assert str(problems[0]) == "column 'amount': missing from the event log"


def test_the_task_is_inferred_stated_in_the_notes_and_kept_in_the_report():
    _, report = validate(frame(), config())
    assert report.task == "binary" and not report.task_stated
    assert "target 'left': task binary (inferred: 2 distinct values (0, 1);" in report.notes[-1]
    stated = config(target={"column": "left", "task": "binary"})
    _, report = validate(frame(), stated)
    assert report.task_stated and report.to_dict()["task"] == "binary"
    _, report = validate(frame(left=["stay", "churn"] * 3),
                         config(target={"column": "left", "positive": "churn"}))  # fmt: skip
    assert report.task == "binary" and report.task_stated  # a positive label implies binary


def test_a_multiclass_target_is_kept_as_text_labels():
    plans = ["basic", "pro", "max"] * 4
    df, report = validate(frame(12, left=plans), config(target={"column": "left",
                                                               "min_class_rows": 4}))  # fmt: skip
    assert report.passed, report.message()
    assert report.task == "multiclass" and report.classes == ["basic", "max", "pro"]
    assert df["left"].tolist() == plans
    df, report = validate(frame(12, left=[1.0, 2.0, 3.0] * 4),  # whole numbers read from a CSV
                          config(target={"column": "left", "min_class_rows": 4}))  # fmt: skip
    assert report.passed and df["left"].tolist() == ["1", "2", "3"] * 4


def test_a_class_with_too_few_rows_is_named_with_its_count():
    labels = ["basic"] * 5 + ["pro"] * 5 + ["max"] * 2
    _, report = validate(frame(12, left=labels), config(target={"column": "left",
                                                               "min_class_rows": 3}))  # fmt: skip
    assert not report.passed
    assert (
        "column 'left': classes with fewer than target.min_class_rows=3 rows ('max': 2): merge "
        "them, drop their rows or lower min_class_rows; e.g. row 10 (cid='c10'): 'max'"
    ) in report.message()


def test_a_stated_multiclass_target_needs_three_classes():
    _, report = validate(frame(), config(target={"column": "left", "task": "multiclass",
                                                 "min_class_rows": 1}))  # fmt: skip
    assert "a multiclass target needs at least three; set 'target.task: binary' for two" in (
        report.message()
    )


def test_a_regression_target_is_a_finite_number_per_row():
    spend = [12.5, 3.0, 7.25, 0.0, 100.0, 42.0]
    df, report = validate(frame(left=spend), config())
    assert (
        report.passed
        and report.task == "regression"
        and report.task_reason.startswith("numbers with a fraction")
    )
    assert df["left"].dtype == float and df["left"].tolist() == spend
    df, report = validate(frame(left=["12.5", " 3", "7.25", "0", "100", "42"]),
                          config(target={"column": "left", "task": "regression"}))  # fmt: skip
    assert report.passed and df["left"].tolist() == spend[:1] + [3.0] + spend[2:]
    bad = ["12.5", "lots", np.inf, None, True, "42"]
    _, report = validate(frame(left=bad), config(target={"column": "left", "task": "regression"}))
    text = report.message()
    assert ("column 'left': values that are not numbers (a regression target is a number per "
            "row); e.g. row 1 (cid='c1'): 'lots', row 4 (cid='c4'): True") in text  # fmt: skip
    assert "column 'left': infinite values; e.g. row 2 (cid='c2'): inf" in text
    assert "column 'left': missing target values; e.g. row 3 (cid='c3'): None" in text
    _, report = validate(frame(left=[5.0] * 6), config(target={"column": "left",
                                                              "task": "regression"}))  # fmt: skip
    assert "column 'left': the target is constant ([5.0]): nothing to learn" in report.message()


def test_text_with_too_many_labels_fails_validation_with_the_next_step():
    df = frame(60, left=[f"reason {i}" for i in range(60)])
    _, report = validate(df, config())
    assert not report.passed and report.task is None
    assert "column 'left': 60 distinct text labels" in report.message()
    assert "set 'target.task' in the dataset config" in report.message()


def test_a_target_s_missing_text_is_missing_whatever_the_task():
    spend = ["12.5", "N/A", "7.25", " ", "100", "lots", "3.5", "4.5", "6", "8.5", "9", "10.5"]
    df, report = validate(frame(12, left=spend), config())
    assert report.task == "regression"  # the blank and "N/A" are not labels
    text = report.message()
    assert "column 'left': missing target values; e.g. row 1 (cid='c1'): 'N/A', row 3" in text
    assert "values that are not numbers (a regression target is a number per row); e.g. " \
        "row 5 (cid='c5'): 'lots'" in text  # fmt: skip
    plans = ["basic", "pro", "max", "NULL"] * 3
    _, report = validate(frame(12, left=plans), config(target={"column": "left",
                                                               "min_class_rows": 3}))  # fmt: skip
    assert report.classes == ["basic", "max", "pro"]
    assert "missing target values; e.g. row 3 (cid='c3'): 'NULL'" in report.message()
