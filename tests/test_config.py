import pytest

from mlcycle.config import LOAD_TIME_COLUMN, ConfigError, load_dataset_config, parse_dataset_config

BASE = {
    "name": "shop",
    "source": {"path": "data.csv"},
    "id": "cid",
    "target": {"column": "left", "positive": "yes"},
    "features": {"numeric": {"age": {"min": 0, "max": 120}}, "categorical": ["plan"]},
}


def test_builtin_config_describes_the_generator(churn_config):
    assert churn_config.source.is_generator
    assert churn_config.id == "customer_id"
    assert churn_config.timestamp_column == "snapshot_ts"
    assert set(churn_config.event_features) <= set(churn_config.numeric_names)
    assert "total_purchases" not in churn_config.table_features
    assert churn_config.model_name == "customer_churn"


def test_relative_source_path_resolves_beside_the_config(tmp_path):
    cfg = parse_dataset_config(BASE, tmp_path / "cfg" / "shop.yaml")
    assert cfg.source.path == str((tmp_path / "cfg" / "data.csv").resolve())
    assert cfg.numeric[0].max == 120
    assert cfg.categorical_names == ["plan"]
    assert cfg.timestamp_column == LOAD_TIME_COLUMN  # static table: rows as of load time


def test_uri_source_is_kept_as_is(tmp_path):
    cfg = parse_dataset_config({**BASE, "source": {"path": "s3://bucket/x.parquet"}}, tmp_path)
    assert cfg.source.path == "s3://bucket/x.parquet"


@pytest.mark.parametrize(
    "change, message",
    [
        ({"id": None}, "missing required field 'id'"),
        ({"source": {}}, "'source' needs either"),
        ({"source": {"nothing": 1}}, "unknown key 'nothing' in 'source'"),
        ({"features": {"numeric": {"age": {"min": 5, "max": 1}}}}, "min 5 is greater than max 1"),
        ({"features": {"numeric": ["cid"]}}, "cannot be both a feature and the id"),
        ({"event_features": ["nope"]}, "must also be numeric features"),
        ({"features": {}}, "lists no numeric or categorical feature"),
        ({"source": {"path": "x", "format": "xlsx"}}, "'source.format' must be 'csv' or 'parquet'"),
        ({"card": {"sensitive_features": ["race"]}}, r"card.sensitive_features \['race'\] are"),
        ({"card": {"intended": "x"}}, "unknown key 'intended' in 'card'; did you mean 'intended_"),
        ({"card": {"limitations": {"a": 1}}}, "'card.limitations' must be a list"),
    ],
)
def test_bad_config_names_the_field(tmp_path, change, message):
    raw = {**BASE, **change}
    raw = {k: v for k, v in raw.items() if v is not None}
    with pytest.raises(ConfigError, match=message) as err:
        parse_dataset_config(raw, tmp_path / "shop.yaml")
    assert "shop.yaml" in str(err.value)


def test_missing_and_invalid_files(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_dataset_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_dataset_config(bad)


def test_the_card_section_is_optional_and_normalised(tmp_path):
    assert parse_dataset_config(BASE, tmp_path / "shop.yaml").card.sensitive_features == ()
    card = {"intended_use": "rank\n   customers", "limitations": "one sentence",
            "sensitive_features": ["age"]}  # fmt: skip
    cfg = parse_dataset_config({**BASE, "card": card}, tmp_path / "shop.yaml")
    assert cfg.card.intended_use == "rank customers"  # folded YAML text, one line
    assert cfg.card.limitations == ("one sentence",)
    assert cfg.card.sensitive_features == ("age",)


# The mistakes a new user makes, each a ConfigError naming the file, the key and what was expected
# (none of these may pass silently or crash with a bare TypeError/AttributeError).
@pytest.mark.parametrize(
    "features, message",
    [
        ({"numric": {"age": {}}}, "unknown key 'numric' in 'features'; did you mean 'numeric'"),
        ({"numeric": {"age": {"mn": 0}}}, "unknown key 'mn' in 'features.numeric.age'; did you"
         " mean 'min'"),
        ({"categorical": {"plan": {"values": "basic"}}},
         "'features.categorical.plan.values' must be a list, got 'basic'"),
        ({"numeric": {"age": {"nullable": "false"}}},
         "'features.numeric.age.nullable' must be a boolean"),
        ({"numeric": {"age": 5}}, "'features.numeric.age' must be a mapping of options"
         r" \(min, max, nullable, max_missing_share\) or nothing, got 5"),
        ({"numeric": {"age": {"min": "zero"}}}, "'features.numeric.age.min' must be a number, got"
         " 'zero'"),
        ({"numeric": {"age": {"max_missing_share": 2}}}, "'features.numeric.age.max_missing_sh"),
    ],
)  # fmt: skip
def test_config_mistakes_are_named(tmp_path, features, message):
    with pytest.raises(ConfigError, match=message) as err:
        parse_dataset_config({**BASE, "features": features}, tmp_path / "shop.yaml")
    assert "shop.yaml" in str(err.value)


def test_every_mistake_is_reported_at_once(tmp_path):
    raw = {**BASE, "nme": "x", "features": {"numeric": {"age": {"min": "zero", "nullable": 1}}}}
    with pytest.raises(ConfigError) as err:
        parse_dataset_config(raw, tmp_path / "shop.yaml")
    for part in ("unknown key 'nme'", "age.min", "age.nullable"):
        assert part in str(err.value)


def test_missing_share_defaults_to_the_dataset_and_can_be_set_per_feature(tmp_path):
    numeric = {"age": {}, "spend": {"max_missing_share": 0.5}}
    raw = {**BASE, "max_missing_share": 0.8, "features": {"numeric": numeric}}
    cfg = parse_dataset_config(raw, tmp_path / "shop.yaml")
    assert [f.max_missing_share for f in cfg.numeric] == [0.8, 0.5]


def test_the_target_labels_read_as_words():
    from mlcycle.config import Target

    assert Target("churned", 1).labels == ("not churned", "churned")
    assert Target("status", "left").labels == ("not left", "left")


def test_the_task_is_a_key_of_the_target_checked_like_every_other():
    from mlcycle.config import parse_dataset_config

    raw = {"name": "t", "source": {"path": "x.csv"}, "id": "i",
           "features": {"numeric": ["a"]}}  # fmt: skip
    cfg = parse_dataset_config({**raw, "target": {"column": "y", "task": "regression"}}, "t.yaml")
    assert cfg.target.task == "regression" and cfg.target.min_class_rows == 10
    assert parse_dataset_config({**raw, "target": "y"}, "t.yaml").target.task is None
    with pytest.raises(ConfigError, match="'target.task' must be 'binary', 'multiclass' or "
                       "'regression', got 'regresion'"):  # fmt: skip
        parse_dataset_config({**raw, "target": {"column": "y", "task": "regresion"}}, "t.yaml")
    names = "names the label that counts as 1 in a binary target; a multiclass target has none"
    with pytest.raises(ConfigError, match=f"t.yaml: 'target.positive' {names}: remove it"):
        parse_dataset_config(
            {**raw, "target": {"column": "y", "task": "multiclass", "positive": "a"}}, "t.yaml"
        )
    with pytest.raises(ConfigError, match="'target.min_class_rows'"):
        parse_dataset_config({**raw, "target": {"column": "y", "min_class_rows": 0}}, "t.yaml")
