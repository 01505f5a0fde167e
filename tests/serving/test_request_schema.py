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
    return {(e["loc"][0], e["type"]) for e in err.value.errors()}


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
        ({"age": 12}, ("age", "greater_than_equal")),
        ({"age": 130}, ("age", "less_than_equal")),
        ({"income": "lots"}, ("income", "float_parsing")),
        ({"income": math.nan}, ("income", "finite_number")),
        ({"income": math.inf}, ("income", "finite_number")),
        ({"income": 3.7e39}, ("income", "less_than_equal")),  # finite, beyond float32
        ({"income": -3.7e39}, ("income", "greater_than_equal")),
        ({"shoe_size": 44}, ("shoe_size", "extra_forbidden")),
        ({"contract": 3}, ("contract", "string_type")),
    ],
)
def test_bad_fields_are_named(Model, churn_config, tiny_data, change, expected):
    assert expected in errors(Model, row(churn_config, tiny_data, **change))


def test_nan_from_json_is_refused(Model, churn_config, tiny_data):
    payload = json.loads(json.dumps(row(churn_config, tiny_data, age=float("nan"))))
    assert ("age", "finite_number") in errors(Model, payload)


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
    ok = Model.model_validate({"bill": 1, "plan": "x"})  # age may be missing: imputed
    assert to_frame(to_records([ok], cfg), cfg).isna().to_dict("records") == [
        {"bill": False, "age": True, "plan": False}
    ]
    schema = Model.model_json_schema()
    assert schema["properties"]["bill"]["minimum"] == 0 and set(schema["required"]) == {
        "bill",
        "plan",
    }
