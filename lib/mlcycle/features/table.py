"""The model table for one snapshot, and the train / valid / test split.

With rows from more than one time, the split follows time: the newest rows are the test set
and the ones before them validation, so a model is judged on the future relative to what it
learnt from (and a retrain is judged on the newest rows). A table of one time (a single
snapshot, or a static table) keeps the stratified random split.
"""

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


TIME_SPLIT, STRATIFIED_SPLIT = "time", "stratified"


def split_kind(table: pd.DataFrame, time_column: str | None) -> str:
    """'time' when the rows come from more than one time, else 'stratified'."""
    if time_column and time_column in table.columns and table[time_column].nunique() > 1:
        return TIME_SPLIT
    return STRATIFIED_SPLIT


def assign_splits(
    table: pd.DataFrame,
    target: str,
    test_size: float = 0.2,
    valid_size: float = 0.1,
    seed: int = 42,
    time_column: str | None = None,
) -> pd.Series:
    """'train' / 'valid' / 'test' for each row, fractions of all rows: by time (newest last)
    when `time_column` holds more than one time, else stratified; seeded either way."""
    if split_kind(table, time_column) == TIME_SPLIT:
        return _time_splits(table, time_column, test_size, valid_size, seed)
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
    """Stratified train/valid/test split; fractions are of the whole table. A target of
    many numbers (regression) is stratified by its deciles."""
    _check_fractions(test_size, valid_size)
    strata = stratum(table[target])
    rest, test = train_test_split(table, test_size=test_size, random_state=seed, stratify=strata)
    if valid_size == 0:
        return {"train": rest, "valid": rest.iloc[:0], "test": test}
    train, valid = train_test_split(
        rest,
        test_size=valid_size / (1 - test_size),
        random_state=seed,
        stratify=strata.loc[rest.index],
    )
    return {"train": train, "valid": valid, "test": test}


STRATA = 10  # a numeric target's split keeps each decile's share


def stratum(target: pd.Series) -> pd.Series:
    """What a split keeps the shares of: the label, or for a target with more distinct
    numbers than STRATA * 2, its decile."""
    if pd.api.types.is_numeric_dtype(target) and target.nunique() > 2 * STRATA:
        return pd.qcut(target, STRATA, labels=False, duplicates="drop")
    return target


def split_summary(labels: pd.DataFrame, target: str) -> pd.DataFrame:
    """Rows per split, and the target's positive rate (0/1), mean (numbers) or most common
    class and its share (labels)."""
    groups = labels.groupby("split")[target]
    values = labels[target].dropna()
    if set(values.unique()) <= {0, 1}:
        return groups.agg(rows="size", positive_rate="mean").round(4)
    if pd.api.types.is_numeric_dtype(values):
        return groups.agg(rows="size", mean="mean", std="std").round(4)
    return groups.agg(
        rows="size",
        most_common=lambda v: v.mode().iloc[0],
        share=lambda v: (v == v.mode().iloc[0]).mean(),
    ).round(4)


def _time_splits(
    table: pd.DataFrame, time_column: str, test_size: float, valid_size: float, seed: int
) -> pd.Series:
    """The newest `test_size` of rows are test, the `valid_size` before them valid; rows of the
    same time are ordered by a seeded shuffle, so a cut inside one time is random there."""
    import numpy as np

    _check_fractions(test_size, valid_size)
    shuffle = np.random.default_rng(seed).permutation(len(table))
    order = (
        pd.DataFrame({"t": table[time_column].to_numpy(), "r": shuffle})
        .sort_values(["t", "r"], kind="stable")
        .index.to_numpy()
    )
    n = len(table)
    n_test = int(round(n * test_size))
    n_valid = int(round(n * valid_size))
    labels = np.full(n, "train", dtype=object)
    labels[order[n - n_test :]] = "test"
    labels[order[n - n_test - n_valid : n - n_test]] = "valid"
    return pd.Series(labels, index=table.index, dtype=object)


def _check_fractions(test_size: float, valid_size: float) -> None:
    if not 0 < test_size < 1 or not 0 <= valid_size < 1 or test_size + valid_size >= 1:
        raise ValueError(f"bad split fractions: test_size={test_size}, valid_size={valid_size}")
