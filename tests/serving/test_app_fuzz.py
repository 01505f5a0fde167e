"""No request body, however malformed, gets a 5xx: generated bodies against the real app."""

import json

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlcycle.serving.app import create_app
from tests.serving.test_app import payload
from tests.serving.test_app import settings as app_settings

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def client(registry):  # noqa: F811
    with TestClient(
        create_app(app_settings(registry, experiment_key="fuzz")), raise_server_exceptions=False
    ) as c:
        yield c


@pytest.fixture(scope="module")
def valid(registry):  # noqa: F811
    return payload(registry)


def post(client, route, body):
    """Encoded here: Python's json writes NaN and Infinity, which httpx refuses to send."""
    return client.post(
        route, content=json.dumps(body), headers={"content-type": "application/json"}
    )


FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))


@FUZZ
@given(body=json_values)
def test_any_json_body(client, body):
    for route in ("/predict", "/predict/batch", "/feedback"):
        assert post(client, route, body).status_code < 500


@FUZZ
@given(data=st.data())
def test_valid_rows_with_one_field_broken(client, valid, data):
    field = data.draw(st.sampled_from(sorted(valid)))
    value = data.draw(json_values)
    body = {
        "features": {**valid, field: value},
        "user_id": data.draw(st.none() | st.text(max_size=10)),
    }
    response = post(client, "/predict", body)
    assert response.status_code in (200, 422), response.text
    if response.status_code == 422:
        assert any(field in d["loc"] for d in response.json()["detail"]), response.json()


@FUZZ
@given(raw=st.binary(max_size=200))
def test_bytes_that_are_not_json(client, raw):
    response = client.post("/predict", content=raw, headers={"content-type": "application/json"})
    assert response.status_code < 500
