import numpy as np
import pandas as pd
import pytest

from mlcycle.task import (
    BINARY,
    MAX_CLASSES,
    MAX_WHOLE_NUMBER_CLASSES,
    MULTICLASS,
    REGRESSION,
    TaskInferenceError,
    choose_task,
    infer_task,
)


@pytest.mark.parametrize(
    ("values", "task", "reason"),
    [
        ([0, 1, 1, 0], BINARY, "2 distinct values (0, 1)"),
        (["left", "stayed", None], BINARY, "2 distinct values (left, stayed)"),
        ([True, False, True], BINARY, "2 distinct values"),
        ([7, 7, 7], BINARY, "1 distinct values"),  # one class: validation says what is wrong
        ([1.5, 2.0, 3.25], REGRESSION, "numbers with a fraction (3 distinct)"),
        (["1.5", "2", "3.25"], REGRESSION, "numbers with a fraction"),  # numbers read as text
        (list(range(MAX_WHOLE_NUMBER_CLASSES + 1)), REGRESSION, "read as amounts"),
        ([1, 2, 3, 2, 1], MULTICLASS, "3 distinct whole numbers (1, 2, 3): read as classes"),
        ([1.0, 2.0, 3.0], MULTICLASS, "read as classes"),  # whole numbers stored as floats
        (["basic", "pro", "max", "pro"], MULTICLASS, "3 text labels (basic, max, pro)"),
        (["a", "b", 3], MULTICLASS, "3 text labels"),  # mixed: not all numbers
    ],
)
def test_the_task_is_inferred_from_the_values_and_says_why(values, task, reason):
    choice = infer_task(pd.Series(values, dtype=object if None in values else None))
    assert choice.task == task and not choice.stated
    assert reason in choice.reason
    assert str(choice) == (
        f"task {task} (inferred: {choice.reason}; 'target.task' in the dataset config overrides it)"
    )


def test_the_ambiguous_whole_numbers_name_the_other_reading():
    """A handful of whole numbers could be ratings (classes) or counts (amounts): the
    inference picks one and says how to choose the other."""
    few = infer_task(pd.Series([0, 1, 2, 3, 4] * 3))
    many = infer_task(pd.Series(np.arange(40)))
    assert few.task == MULTICLASS and "(say 'task: regression' if they are amounts)" in few.reason
    assert many.task == REGRESSION and "(say 'task: multiclass' if they are classes)" in many.reason
    edge = infer_task(pd.Series(np.arange(MAX_WHOLE_NUMBER_CLASSES)))
    assert edge.task == MULTICLASS


def test_too_many_text_labels_is_refused_with_the_next_step():
    labels = pd.Series([f"reason {i}" for i in range(MAX_CLASSES + 1)])
    with pytest.raises(TaskInferenceError, match=r"column 'why' has 51 distinct text labels "
                       r"\(reason 0, .*\): more than 50 classes.*set 'target.task'"):  # fmt: skip
        infer_task(labels, "why")


def test_missing_values_do_not_count_as_a_label():
    assert infer_task(pd.Series([0.0, 1.0, np.nan, None])).task == BINARY
    assert infer_task(pd.Series([1.5, np.nan, 2.5, 3.5])).task == REGRESSION


def test_a_stated_task_wins_over_the_values():
    choice = choose_task(REGRESSION, pd.Series([0, 1, 0]))
    assert choice.task == REGRESSION and choice.stated
    assert str(choice) == "task regression (as the dataset config states)"
    assert choose_task(None, pd.Series([0, 1])).task == BINARY


def test_metric_settings_resolve_to_the_task_own_unless_they_name_one_of_its_metrics():
    from mlcycle.task import AUTO, LOWER_IS_BETTER, METRICS, gate_for, metric_for

    assert metric_for(BINARY, AUTO, "selection") == "roc_auc"
    assert metric_for(REGRESSION, AUTO, "promotion") == "rmse" and "rmse" in LOWER_IS_BETTER
    assert metric_for(MULTICLASS, None, "selection") == "f1_macro"
    assert metric_for(REGRESSION, "mae", "selection") == "mae"
    refused = "'roc_auc' is not a metric of a regression model; choose one of mae, rmse, r2, mape"
    with pytest.raises(ValueError, match=f"setting selection_metric: {refused}, or auto"):
        metric_for(REGRESSION, "roc_auc", "selection")
    assert gate_for(BINARY, AUTO, None) == ("accuracy", 0.85)
    assert gate_for(REGRESSION, AUTO, None) == ("r2", 0.5)
    assert gate_for(BINARY, AUTO, "0.9") == ("accuracy", 0.9)  # a threshold from the command line
    assert gate_for(REGRESSION, "mae", 12.5) == ("mae", 12.5)
    with pytest.raises(ValueError, match="gate_threshold is required with gate_metric 'mae'"):
        gate_for(REGRESSION, "mae", None)
    for task, judged in [(t, METRICS[t]) for t in METRICS]:
        assert metric_for(task, AUTO, "gate") in judged


def test_numbers_with_a_few_bad_values_are_still_numbers_and_say_how_many():
    """A CSV column of amounts with a stray word is a regression target whose bad rows
    validation names; not a multiclass target of 'lots' and 40 numbers."""
    values = pd.Series([f"{x / 3:.2f}" for x in range(40)] + ["lots"], dtype=object)
    choice = infer_task(values)
    assert choice.task == REGRESSION and choice.reason.endswith("; 1 value(s) are not numbers)")
    mostly_text = pd.Series(["a", "b", "c", "1.5", "2.5"] * 3)
    assert infer_task(mostly_text).task == MULTICLASS
