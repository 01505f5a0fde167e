import json
import math

import pytest
from pydantic import ValidationError

from mlcycle.serving.request_schema import (
    features_model,
    frame_to_records,
    to_frame,
    to_records,
)


@pytest.fixture(scope="module")
def Model(churn_config):
    return features_model(churn_config)


def row(churn_config, tiny_data, **change):
    from mlcycle.features.table import build_model_table

    table = build_model_table(tiny_data.customers.head(1), tiny_data.events, churn_config)
    base = {
        k: (v.item() if hasattr(v, "item") else v)
        for k, v in table[churn_config.feature_names].iloc[0].items()
    }
    return {**base, **change}


def errors(Model, payload):
    with pytest.raises(ValidationError) as err:
        Model.model_validate(payload)
    # a column rule's refusal is named by its problem (the words batch scoring uses too)
    return {
        (e["loc"][0], e["msg"] if e["type"] == "value_refused" else e["type"])
        for e in err.value.errors()
    }


def test_a_valid_row_becomes_the_model_frame(Model, churn_config, tiny_data):
    payload = row(churn_config, tiny_data)
    records = to_records([Model.model_validate(payload)], churn_config)
    assert list(records[0]) == churn_config.feature_names
    frame = to_frame(records, churn_config)
    assert list(frame.columns) == churn_config.feature_names
    assert frame["age"].dtype == float and frame.loc[0, "contract"] == payload["contract"]


def test_online_store_rows_take_the_same_shape_as_request_rows(Model, churn_config, tiny_data):
    import numpy as np
    import pandas as pd

    payload = row(churn_config, tiny_data) | {"age": None}
    from_request = to_records([Model.model_validate(payload)], churn_config)
    stored = pd.DataFrame([payload | {"age": np.nan, "extra": 1}])  # NaN, and a column to drop
    assert frame_to_records(stored, churn_config) == from_request


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"age": 12}, ("age", "below 18")),
        ({"age": 130}, ("age", "above 100")),
        (
            {"income": "lots"},
            ("income", "not a number (text): send a JSON number, or null for a missing value"),
        ),
        ({"income": True}, ("income", "not a number")),  # a boolean is not a number
        ({"income": math.inf}, ("income", "not finite")),
        ({"income": 3.7e39}, ("income", "too large to score (beyond ±1e15)")),  # beyond float32
        ({"income": -3.7e39}, ("income", "too large to score (beyond ±1e15)")),
        ({"shoe_size": 44}, ("shoe_size", "extra_forbidden")),
    ],
)
def test_bad_fields_are_named(Model, churn_config, tiny_data, change, expected):
    assert expected in errors(Model, row(churn_config, tiny_data, **change))


@pytest.mark.parametrize("value", [float("nan"), None])
def test_nan_and_null_are_missing_values(Model, churn_config, tiny_data, value):
    # the column rules' policy: NaN (JSON's NaN too) and null are missing, as in a CSV or
    # Parquet file; was "NaN is refused" before one policy covered every door
    payload = json.loads(json.dumps(row(churn_config, tiny_data, age=value)))
    assert Model.model_validate(payload).age is None


@pytest.mark.parametrize("value", ["NaN", "N/A", " ", " 42 ", "12"])
def test_text_in_a_numeric_field_is_refused(Model, churn_config, tiny_data, value):
    # JSON has numbers and null (was: text parsed as a file's would be): "12" or "N/A" is a
    # client's type error, named in the 422
    payload = json.loads(json.dumps(row(churn_config, tiny_data, age=value)))
    with pytest.raises(ValidationError, match="age"):
        Model.model_validate(payload)


def test_categories_are_text(Model, churn_config, tiny_data):
    # was ("contract", "string_type"): a category given as a number is compared as its text
    ok = Model.model_validate(row(churn_config, tiny_data, contract=3))
    assert ok.contract == "3"


def test_nullable_and_required_follow_the_config(tmp_path):
    from mlcycle.config import parse_dataset_config

    cfg = parse_dataset_config(
        {
            "name": "shop",
            "source": {"path": "x.csv"},
            "id": "cid",
            "target": "y",
            "features": {
                "numeric": {"bill": {"min": 0, "nullable": False}, "age": {}},
                "categorical": {"plan": {"nullable": False}},
            },
        },
        tmp_path / "shop.yaml",
    )
    Model = features_model(cfg)
    assert errors(Model, {"age": 3}) == {("bill", "missing"), ("plan", "missing")}
    assert errors(Model, {"bill": 1, "plan": "x"}) == {("age", "missing")}  # present, as a column
    assert errors(Model, {"bill": None, "plan": "x", "age": 1}) == {
        ("bill", "missing (not nullable)")
    }
    ok = Model.model_validate({"bill": 1, "plan": "x", "age": None})  # null: imputed
    assert to_frame(to_records([ok], cfg), cfg).isna().to_dict("records") == [
        {"bill": False, "age": True, "plan": False}
    ]
    schema = Model.model_json_schema()
    assert schema["properties"]["bill"]["minimum"] == 0 and set(schema["required"]) == {
        "bill",
        "plan",
        "age",  # required, and nullable: null is a missing value
    }
    assert {"type": "null"} in schema["properties"]["age"]["anyOf"]
