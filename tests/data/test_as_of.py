import pandas as pd
import pytest

from mlcycle.data.as_of import AsOfError, parse_as_of, select_known


def frame():
    entities = pd.DataFrame(
        {
            "id": ["a", "b", "c", "d"],
            "ts": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01"]),
        }
    )
    events = pd.DataFrame(
        {
            "id": ["a", "b", "c", "d", "d"],
            "event_timestamp": pd.to_datetime(
                ["2025-12-30", "2026-01-15", "2026-02-20", "2026-03-20", "2026-04-20"]
            ),
        }
    )
    return entities, events


def test_default_as_of_is_the_newest_row_and_nothing_is_held_back():
    entities, events = frame()
    kept, kept_events, window = select_known(entities, events, "ts", "id")
    assert len(kept) == 4
    assert window.as_of == "2026-04-01 00:00:00"
    # an event after the newest row is after as_of: not known yet
    assert window.events_after_as_of == 1 and len(kept_events) == 4
    assert window.rows_after_as_of == window.rows_before_window == 0


def test_as_of_holds_back_later_rows_and_their_events():
    entities, events = frame()
    kept, kept_events, window = select_known(entities, events, "ts", "id", "2026-02-15")
    assert kept["id"].tolist() == ["a", "b"]
    assert set(kept_events["id"]) == {"a", "b"}
    assert window.rows_after_as_of == 2
    assert "2 rows after as_of not seen" in window.describe()


def test_training_window_bounds_how_far_back():
    entities, events = frame()
    kept, _, window = select_known(entities, events, "ts", "id", "2026-04-01", 45)
    assert kept["id"].tolist() == ["c", "d"]
    assert window.window_start == "2026-02-15 00:00:00" and window.rows_before_window == 2


def test_nothing_known_names_the_span():
    entities, events = frame()
    with pytest.raises(AsOfError, match="no rows at or before as_of 2025-01-01.*2026-01-01"):
        select_known(entities, events, "ts", "id", "2025-01-01")


def test_as_of_against_a_time_zone_aware_column():
    entities, events = frame()
    entities["ts"] = entities["ts"].dt.tz_localize("Europe/Berlin")
    kept, _, _ = select_known(entities, events, "ts", "id", "2026-02-15")
    assert len(kept) == 2


def test_bad_as_of_says_what_is_expected():
    assert parse_as_of("") is None
    with pytest.raises(AsOfError, match="not a date"):
        parse_as_of("next tuesday")
