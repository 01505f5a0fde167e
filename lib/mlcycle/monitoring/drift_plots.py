"""Drift as a reader looks at it: one bar per feature on one scale, and the distributions of
the features that moved most, training data against the current window."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

TOP_FEATURES = 3


def drift_strength(columns: pd.DataFrame) -> pd.Series:
    """Each column's score relative to its test's threshold, so that every test reads the same
    way: 1 is the threshold, above 1 drifted. A p-value compares on -log10 (smaller p, more
    drift), a distance as it is."""

    def strength(row: pd.Series) -> float:
        score, threshold = float(row["score"]), float(row["threshold"])
        if "p_value" in str(row["method"]):
            return -math.log10(max(score, 1e-300)) / -math.log10(threshold)
        return score / threshold if threshold > 0 else float(score > 0)

    return columns.apply(strength, axis=1).rename("strength")


def drift_scores_figure(columns: pd.DataFrame) -> Figure:
    """Horizontal bars, one per feature, strongest drift on top; drifted ones in red."""
    strength = drift_strength(columns).sort_values()
    drifted = columns.loc[strength.index, "drifted"].astype(bool)
    fig = Figure(figsize=(6.5, 0.28 * len(strength) + 1.2))
    ax = fig.subplots()
    ax.barh(strength.index.astype(str), strength.to_numpy(),
            color=np.where(drifted, "#b3261e", "#4c72b0"))  # fmt: skip
    ax.axvline(1.0, color="grey", linestyle="--", linewidth=1)
    ax.set(xlabel="drift score / its test's threshold (above 1 = drifted)", ylabel="feature",
           title=f"Drift per feature: {int(drifted.sum())} of {len(strength)} drifted")  # fmt: skip
    fig.tight_layout()
    return fig


def top_drifted(columns: pd.DataFrame, n: int = TOP_FEATURES) -> list[str]:
    """The `n` features that moved most (drifted or not: the strongest scores)."""
    return list(drift_strength(columns).sort_values(ascending=False).index[:n])


def distributions_figure(
    reference: pd.DataFrame, current: pd.DataFrame, features: list[str], numeric: set[str]
) -> Figure:
    """Training data against the current window, one panel per feature: shares per bin for
    numbers, shares per category (the ten most common) for categories."""
    fig = Figure(figsize=(3.2 * max(len(features), 1), 2.8))
    axes = np.atleast_1d(fig.subplots(1, max(len(features), 1)))
    for ax, name in zip(axes, features, strict=False):
        ref, cur = reference[name].dropna(), current[name].dropna()
        if name in numeric:
            both = pd.concat([ref, cur]).astype(float)
            bins = np.histogram_bin_edges(both, bins=20) if len(both) else 10
            ax.hist(ref.astype(float), bins=bins, alpha=0.55, density=True, label="training")
            ax.hist(cur.astype(float), bins=bins, alpha=0.55, density=True, label="current")
            ax.set(xlabel=name, ylabel="density")
        else:
            top = ref.astype(str).value_counts().index[:10]
            shares = pd.DataFrame({
                "training": ref.astype(str).value_counts(normalize=True),
                "current": cur.astype(str).value_counts(normalize=True),
            }).reindex(top).fillna(0.0)  # fmt: skip
            x = np.arange(len(shares))
            ax.bar(x - 0.2, shares["training"], width=0.4, label="training")
            ax.bar(x + 0.2, shares["current"], width=0.4, label="current")
            ax.set_xticks(x, shares.index, rotation=30, ha="right")
            ax.set(xlabel=name, ylabel="share of rows")
        ax.set_title(name)
        ax.legend(fontsize=8)
    fig.suptitle("Distributions of the features that moved most")
    fig.tight_layout()
    return fig
