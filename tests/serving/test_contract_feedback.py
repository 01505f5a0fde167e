"""The feedback bodies of serving/contract.py: each task's outcome type, and one error naming
what is expected when a value is of none of them."""

import pytest
from pydantic import ValidationError

from mlcycle.serving.contract import FEEDBACK
from mlcycle.task import BINARY, MULTICLASS, REGRESSION


@pytest.mark.parametrize(
    "task, given, kept",
    [
        (BINARY, 1, 1),
        (BINARY, True, 1),  # true: it happened
        (MULTICLASS, "gold", "gold"),
        (MULTICLASS, 7, "7"),  # classes that were whole numbers are their text
        (REGRESSION, 12.5, 12.5),
        (REGRESSION, 3, 3.0),
        (None, True, True),  # left to the data: its prediction's task decides (checked_outcome)
        (None, "gold", "gold"),
        (None, 2.5, 2.5),
    ],
)
def test_each_task_keeps_its_outcome_type(task, given, kept):
    outcome = FEEDBACK[task](request_id="r1", outcome=given).outcome
    assert outcome == kept and type(outcome) is type(kept)


@pytest.mark.parametrize(
    "task, given, expected",
    [
        (BINARY, None, "outcome must be 0 or 1, got null"),
        (MULTICLASS, [1], "outcome must be a class label, got [1]"),
        (MULTICLASS, True, "outcome must be a class label, got true"),
        (REGRESSION, True, "outcome must be a finite number, got true"),  # not an amount
        (REGRESSION, {"v": 1}, 'outcome must be a finite number, got {"v": 1}'),
        (None, None, "outcome must be 0 or 1, a class label or a number, got null"),
        (None, [1, 2], "outcome must be 0 or 1, a class label or a number, got [1, 2]"),
    ],
)
def test_a_value_of_no_outcome_type_is_one_error_that_says_what_is_expected(task, given, expected):
    with pytest.raises(ValidationError) as err:
        FEEDBACK[task](request_id="r1", outcome=given)
    errors = err.value.errors()
    assert len(errors) == 1 and errors[0]["loc"] == ("outcome",)
    assert errors[0]["msg"].endswith(expected), errors[0]["msg"]
