"""Drift on one scale: every test's threshold at 1, drifted above it."""

import pandas as pd

from mlcycle.monitoring.drift_plots import (
    distributions_figure,
    drift_scores_figure,
    drift_strength,
    top_drifted,
)

COLUMNS = pd.DataFrame(
    {
        "method": ["K-S p_value", "K-S p_value", "Wasserstein distance (normed)", "Jensen-Shannon"],
        "score": [0.001, 0.5, 0.25, 0.05],
        "threshold": [0.05, 0.05, 0.1, 0.1],
        "drifted": [True, False, True, False],
    },
    index=pd.Index(["age", "income", "tenure", "plan"], name="column"),
)


def test_strength_is_above_one_exactly_for_the_drifted_columns():
    strength = drift_strength(COLUMNS)
    assert ((strength > 1) == COLUMNS["drifted"]).all()
    assert strength["tenure"] == 2.5 and strength["plan"] == 0.5
    assert top_drifted(COLUMNS, 2) == ["tenure", "age"]


def test_the_figures_draw_every_feature_and_both_windows():
    fig = drift_scores_figure(COLUMNS)
    assert len(fig.axes[0].patches) == 4 and "2 of 4 drifted" in fig.axes[0].get_title()
    reference = pd.DataFrame({"tenure": range(100), "plan": ["a", "b"] * 50})
    current = pd.DataFrame({"tenure": range(50, 150), "plan": ["b"] * 100})
    fig = distributions_figure(reference, current, ["tenure", "plan"], {"tenure"})
    assert [ax.get_title() for ax in fig.axes] == ["tenure", "plan"]
    assert all(len(ax.get_legend().get_texts()) == 2 for ax in fig.axes)
