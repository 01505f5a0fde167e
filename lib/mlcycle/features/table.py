"""The model table for one snapshot, and the train / valid / test split."""

from __future__ import annotations

import pandas as pd
from sklearn.model_selection import train_test_split

from mlcycle.config import DatasetConfig

SPLITS = ("train", "valid", "test")


def build_model_table(
    entities: pd.DataFrame, events: pd.DataFrame, config: DatasetConfig
) -> pd.DataFrame:
    """The model table for one snapshot without the feature store: the same feature tables
    Feast serves (store.feature_tables), joined on id and timestamp.

    Numeric features are float, the type the model signature declares.
    """
    from mlcycle.features.store import ACTIVITY, PROFILE, feature_tables

    keys = [config.id, config.timestamp_column]
    tables = feature_tables(entities, events, config)
    base = entities.drop(columns=[c for c in config.feature_names if c in entities.columns])
    table = base.merge(tables[PROFILE], on=keys, how="left").merge(
        tables[ACTIVITY], on=keys, how="left"
    )
    table.index = entities.index
    return table


def assign_splits(
    table: pd.DataFrame,
    target: str,
    test_size: float = 0.2,
    valid_size: float = 0.1,
    seed: int = 42,
) -> pd.Series:
    """'train' / 'valid' / 'test' for each row: stratified, seeded, fractions of all rows."""
    parts = split_table(table, target, test_size, valid_size, seed)
    out = pd.Series("", index=table.index, dtype=object)
    for name, part in parts.items():
        out.loc[part.index] = name
    return out


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
