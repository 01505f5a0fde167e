import pandas as pd

from mlcycle.config import LOAD_TIME_COLUMN, parse_dataset_config
from mlcycle.fingerprint import data_fingerprint

ROWS = pd.DataFrame({"cid": ["a", "b"], "age": [30, 40], "left": ["yes", "no"]})


def config(tmp_path, **extra):
    raw = {
        "name": "shop",
        "source": {"path": str(tmp_path / "shop.csv")},
        "id": "cid",
        "target": {"column": "left", "positive": "yes"},
        "features": {"numeric": ["age"]},
        **extra,
    }
    return parse_dataset_config(raw, tmp_path / "shop.yaml")


def read_at(time: str, frame: pd.DataFrame = ROWS, column: str = LOAD_TIME_COLUMN):
    return frame.assign(**{column: pd.Timestamp(time)})


def test_a_static_table_read_again_is_the_same_data(tmp_path):
    """The load time a static table's rows get says when it was read, not what it holds."""
    static = config(tmp_path)
    first, again = read_at("2026-12-01 09:00"), read_at("2026-12-08 09:00")
    assert data_fingerprint(first, static) == data_fingerprint(again, static)
    changed = read_at("2026-12-08 09:00", ROWS.assign(age=[30, 41]))
    assert data_fingerprint(changed, static) != data_fingerprint(first, static)
    # without the config, every column is content (as before)
    assert data_fingerprint(first) != data_fingerprint(again)


def test_a_configured_timestamp_is_content(tmp_path):
    """Rows of a table with its own timestamp column are as of that time: another time is
    other data, even when the column is called like the load time."""
    for column in ("seen_at", LOAD_TIME_COLUMN):
        timed = config(tmp_path, timestamp=column)
        first = read_at("2026-12-01 09:00", column=column)
        again = read_at("2026-12-08 09:00", column=column)
        assert data_fingerprint(first, timed) != data_fingerprint(again, timed)
