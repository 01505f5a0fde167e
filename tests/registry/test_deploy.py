"""Deploys move aliases in a real registry, under the two rules: the gate passed, and
production takes only what is on staging."""

import mlflow
import pytest

from mlcycle.registry.aliases import CHAMPION, STAGING, alias_version
from mlcycle.registry.deploy import DeployRefused, deploy

NAME = "customer_churn"


@pytest.fixture
def client(registry):
    _, uri, _ = registry
    client = mlflow.MlflowClient(uri, registry_uri=uri)
    for version in ("1", "2"):
        run_id = client.get_model_version(NAME, version).run_id
        client.set_tag(run_id, "gate.passed", "true")
    yield client
    client.set_registered_model_alias(NAME, CHAMPION, "1")  # as the fixture left it
    client.delete_registered_model_alias(NAME, STAGING)


def test_staging_then_reviewed_promotion_moves_the_champion(client, monkeypatch):
    monkeypatch.setenv("GITHUB_ACTOR", "reviewer")
    monkeypatch.setenv("GITHUB_SHA", "c0ffee")
    staged = deploy(client, NAME, "2", "staging", reason="nightly build")
    assert staged.describe() == "customer_churn@staging -> v2 (was unset)"
    assert alias_version(client, NAME, STAGING) == "2"
    assert alias_version(client, NAME, CHAMPION) == "1"  # staging leaves production alone

    promoted = deploy(client, NAME, "2", "production", reason="reviewed in #123")
    assert (promoted.alias, promoted.previous) == (CHAMPION, "1")
    assert alias_version(client, NAME, CHAMPION) == "2"
    tags = client.get_model_version(NAME, "2").tags
    assert tags["deploy.production.by"] == "reviewer"
    assert tags["deploy.production.commit"] == "c0ffee"
    assert tags["deploy.production.previous"] == "1"
    assert tags["deploy.production.reason"] == "reviewed in #123"
    assert tags["deploy.staging.reason"] == "nightly build"


def test_production_refuses_a_version_that_is_not_on_staging(client):
    deploy(client, NAME, "1", "staging")
    with pytest.raises(DeployRefused, match=r"v2 is not on staging \(staging is v1\)"):
        deploy(client, NAME, "2", "production")
    assert alias_version(client, NAME, CHAMPION) == "1"


def test_a_version_that_did_not_pass_the_gate_goes_nowhere(client):
    client.set_tag(client.get_model_version(NAME, "2").run_id, "gate.passed", "false")
    with pytest.raises(DeployRefused, match=r"v2 did not pass the quality gate .*'false'"):
        deploy(client, NAME, "2", "staging")
    assert alias_version(client, NAME, STAGING) is None
