"""The settings layer: one precedence order, typed keys, every path resolved once."""

import pytest

from mlcycle.settings import (
    Settings,
    SettingsError,
    load_settings,
    local_store_uri,
    parse_overrides,
)
from tests.conftest import PROJECT

CLEAN = {}  # an environment with no MLCYCLE_*, ENV_FILE or MLFLOW_TRACKING_URI


def test_parse_overrides_accepts_ploomber_and_key_value_forms():
    # moved from tests/orchestration/test_dag.py with parse_overrides itself
    got = parse_overrides(["--env--gate_threshold", "0.9", "--env--seed=3", "n_customers=10"])
    assert got == {"gate_threshold": "0.9", "seed": "3", "n_customers": "10"}
    with pytest.raises(ValueError, match="needs a value"):
        parse_overrides(["--env--seed"])
    with pytest.raises(ValueError, match="expected --env--KEY VALUE"):
        parse_overrides(["seed"])


def test_env_layers_defaults_file_and_overrides():
    # moved from tests/orchestration/test_dag.py (load_env now reads the settings layer)
    env = load_settings(PROJECT, "env.test.yaml", {"seed": "5"}, environ=CLEAN)
    assert env.n_customers == 1500  # from env.test.yaml
    assert env.gate_metric == "auto"  # default from env.yaml
    assert env.seed == 5  # override, typed
    with pytest.raises(SettingsError, match="unknown setting 'gate_treshold' in --env; did you "
                       "mean 'gate_threshold'"):  # fmt: skip
        load_settings(PROJECT, None, {"gate_treshold": "1"}, environ=CLEAN)
    with pytest.raises(SettingsError, match="env file not found: nope.yaml"):
        load_settings(PROJECT, "nope.yaml", environ=CLEAN)


def test_precedence_env_yaml_then_env_file_then_environment_then_command_line():
    environ = {"ENV_FILE": "env.test.yaml", "MLCYCLE_GATE_THRESHOLD": "0.6", "MLCYCLE_SEED": "7"}
    s = load_settings(PROJECT, None, {"seed": "8"}, environ=environ)
    assert s.n_customers == 1500  # the env file named by $ENV_FILE
    assert s.gate_threshold == 0.6  # MLCYCLE_* over the env file's 0.75
    assert s.seed == 8  # the command line over MLCYCLE_SEED
    assert s.gate_metric == "auto"  # env.yaml
    # an explicit env file wins over $ENV_FILE
    assert load_settings(PROJECT, "env.grid.yaml", environ=environ).n_customers == 20000


def test_an_env_file_moves_every_path():
    default = load_settings(PROJECT, environ=CLEAN)
    test = load_settings(PROJECT, environ={"ENV_FILE": "env.test.yaml"})
    assert default.products == PROJECT / "products"
    assert test.products == PROJECT / "products-test"
    for s in (default, test):
        assert s.tracking_uri == local_store_uri(s.products)
        assert s.prediction_log == str(s.products / "serving" / "predictions.db")  # text: a URL too
        assert s.artifacts == s.products / "mlartifacts"
        assert s.dataset == PROJECT / "config" / "datasets" / "churn.yaml"


def test_a_tracking_server_named_by_mlflow_wins():
    s = load_settings(PROJECT, environ={"MLFLOW_TRACKING_URI": "http://127.0.0.1:5000"})
    assert s.tracking_uri == "http://127.0.0.1:5000"


def test_mistakes_name_the_key_and_where_it_came_from(tmp_path):
    bad = tmp_path / "env.bad.yaml"
    bad.write_text("gate_treshold: 0.9\n")
    with pytest.raises(SettingsError, match=rf"unknown setting 'gate_treshold' in {bad}; did you"):
        load_settings(PROJECT, bad, environ=CLEAN)
    bad.write_text("gate_threshold: high\n")
    with pytest.raises(SettingsError, match="setting 'gate_threshold'.*'high'.*env.bad.yaml"):
        load_settings(PROJECT, bad, environ=CLEAN)
    with pytest.raises(SettingsError, match="setting 'test_size'.*from --env--test_size"):
        load_settings(PROJECT, None, {"test_size": "2"}, environ=CLEAN)
    with pytest.raises(SettingsError, match=r"setting 'seed'.*'abc'; from \$MLCYCLE_SEED"):
        load_settings(PROJECT, environ={"MLCYCLE_SEED": "abc"})
    with pytest.raises(
        SettingsError,
        match="setting 'retrain_policy__min_metric__y' in --env: 'retrain_policy' has no",
    ):
        load_settings(PROJECT, None, {"retrain_policy__min_metric__y": "1"}, environ=CLEAN)


def test_nested_keys_and_yaml_values_from_the_command_line():
    s = load_settings(PROJECT, None, {"retrain_policy__min_metric": "0.7",
                                      "scoring_drift": "[0.5, 0, 0]"}, environ=CLEAN)  # fmt: skip
    assert s.retrain_policy["min_metric"] == 0.7 and s.retrain_policy["on_dataset_drift"]
    assert s.scoring_drift == [0.5, 0, 0]


def test_the_reload_token_comes_from_the_environment_only(tmp_path):
    s = load_settings(PROJECT, environ={"MLCYCLE_RELOAD_TOKEN": "s3cret"})
    assert s.reload_token == "s3cret"
    assert "s3cret" not in str(s.env_values())  # never a build param (papermill, reports)
    leaked = tmp_path / "env.leak.yaml"
    leaked.write_text("reload_token: s3cret\n")
    with pytest.raises(SettingsError, match="'reload_token' is a secret: set MLCYCLE_RELOAD"):
        load_settings(PROJECT, leaked, environ=CLEAN)


def test_every_setting_has_a_default_in_env_yaml_and_a_description():
    values = load_settings(PROJECT, environ=CLEAN).env_values()
    derived = {"production_log"}  # computed from settings, never set
    assert set(values) == set(Settings.model_fields) - {"project", "reload_token"} | derived
    assert all(f.description for f in Settings.model_fields.values())


def test_training_reads_the_prediction_log_only_with_production_labels():
    off = load_settings(PROJECT, environ=CLEAN)
    assert off.env_values()["production_log"] == ""  # the build does not depend on the log
    on = load_settings(PROJECT, environ=CLEAN, overrides={"production_labels": "true"})
    assert on.env_values()["production_log"] == str(on.prediction_log) != ""


def test_the_prediction_log_may_be_a_database_url():
    url = "postgresql://mlcycle@127.0.0.1:5432/predictions"
    s = load_settings(PROJECT, environ={"MLCYCLE_PREDICTION_LOG": url})
    assert s.prediction_log == url  # not a path: not resolved, not collapsed to 'postgresql:/'


def test_an_unknown_setting_with_no_near_name_says_where_the_settings_are():
    with pytest.raises(SettingsError, match=r"unknown setting 'zzz' in --env: the settings are "
                       r"the keys of env.yaml \(listed in docs/configuration.md\)"):  # fmt: skip
        load_settings(PROJECT, None, {"zzz": "1"}, environ=CLEAN)


def test_the_logs_commit_mode_is_one_of_two_and_reaches_the_service():
    from mlcycle.serving.app import Settings as ServiceSettings

    normal = load_settings(PROJECT, environ={"MLCYCLE_LOG_SYNC": "normal"})
    assert ServiceSettings.of(normal).log_sync == "normal"
    assert ServiceSettings.of(load_settings(PROJECT, environ=CLEAN)).log_sync == "full"
    with pytest.raises(SettingsError, match=r"setting 'log_sync'.*'fast'.*MLCYCLE_LOG_SYNC"):
        load_settings(PROJECT, environ={"MLCYCLE_LOG_SYNC": "fast"})
