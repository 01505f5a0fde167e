"""The model table: validated entities plus features derived from events, then split."""

from __future__ import annotations

import pandas as pd
from sklearn.model_selection import train_test_split

from mlcycle.config import DatasetConfig
from mlcycle.features.behaviour import BEHAVIOUR_FEATURES, make_behaviour_features

SPLITS = ("train", "valid", "test")


def build_model_table(
    entities: pd.DataFrame, events: pd.DataFrame, config: DatasetConfig
) -> pd.DataFrame:
    """Add the configured event features (as of each row's timestamp) to the entity table.

    Numeric features are stored as float, the type the model signature declares, so the saved
    tables can be fed to the registered model as they are.
    """
    if not config.event_features:
        return entities.astype({name: float for name in config.numeric_names})
    unknown = sorted(set(config.event_features) - set(BEHAVIOUR_FEATURES))
    if unknown:
        raise KeyError(
            f"event_features {unknown} cannot be derived; known: {sorted(BEHAVIOUR_FEATURES)}"
        )
    ts = config.timestamp_column
    derived = make_behaviour_features(
        entities, events.astype({"event_timestamp": "datetime64[ns]"}), config.id, ts
    )
    table = entities.drop(columns=[c for c in config.event_features if c in entities.columns])
    table = pd.concat([table, derived[list(config.event_features)]], axis=1)
    return table.astype({name: float for name in config.numeric_names})


def split_table(
    table: pd.DataFrame,
    target: str,
    test_size: float = 0.2,
    valid_size: float = 0.1,
    seed: int = 42,
) -> dict[str, pd.DataFrame]:
    """Stratified train/valid/test split; fractions are of the whole table."""
    if not 0 < test_size < 1 or not 0 <= valid_size < 1 or test_size + valid_size >= 1:
        raise ValueError(f"bad split fractions: test_size={test_size}, valid_size={valid_size}")
    rest, test = train_test_split(
        table, test_size=test_size, random_state=seed, stratify=table[target]
    )
    if valid_size == 0:
        return {"train": rest, "valid": rest.iloc[:0], "test": test}
    train, valid = train_test_split(
        rest,
        test_size=valid_size / (1 - test_size),
        random_state=seed,
        stratify=rest[target],
    )
    return {"train": train, "valid": valid, "test": test}
