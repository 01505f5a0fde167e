"""The DAG's built-in scoring set: the rows a batch run scores when no file is given."""

from __future__ import annotations

import pandas as pd

from mlcycle.config import DatasetConfig


def scoring_set(
    config: DatasetConfig,
    n_rows: int,
    snapshot_date: str,
    seed: int,
    fallback: pd.DataFrame | None = None,
    drift: tuple[float, float, float] = (0.0, 0.0, 0.0),
) -> pd.DataFrame:
    """Id and feature columns, no target: what arrives for scoring in production.

    The built-in dataset gets new customers from the generator (their own seed and an `S` id
    prefix, so none was trained on), drifted by `drift` (shift, new category, relationship:
    the generator's knobs) to show what monitoring catches; a user's dataset has no
    generator, so its held-out `fallback` rows (the test split) stand in, up to `n_rows`.
    """
    columns = [config.id, *config.feature_names]
    if config.source.is_generator:
        from mlcycle.data.generator import Drift, generate_customers
        from mlcycle.features.table import build_model_table

        data = generate_customers(
            n_rows, snapshot_date=snapshot_date, seed=seed, id_prefix="S",
            drift=Drift(*drift) if any(drift) else None,
        )  # fmt: skip
        table = build_model_table(data.customers, data.events, config)
    elif fallback is not None:
        table = fallback.head(n_rows)
    else:
        raise ValueError(f"dataset '{config.name}' has no generator: give the rows to score")
    return table[columns].reset_index(drop=True)
