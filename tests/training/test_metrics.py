import math

import numpy as np
import pytest

from mlcycle.training.metrics import (
    calibration_figure,
    classification_metrics,
    confusion,
    confusion_figure,
    is_better,
    roc_figure,
)

Y = np.array([0, 0, 1, 1, 1, 0])
P = np.array([0.1, 0.6, 0.8, 0.4, 0.9, 0.2])


def test_metrics_from_probabilities():
    m = classification_metrics(Y, P)
    assert m["accuracy"] == pytest.approx(4 / 6)
    assert m["precision"] == pytest.approx(2 / 3)
    assert m["recall"] == pytest.approx(2 / 3)
    assert m["roc_auc"] == pytest.approx(8 / 9)
    assert m["log_loss"] > 0
    assert confusion(Y, P) == {"tn": 2, "fp": 1, "fn": 1, "tp": 2}


def test_perfect_and_single_class():
    assert classification_metrics(Y, Y.astype(float))["accuracy"] == 1.0
    assert math.isnan(classification_metrics(np.ones(3), np.full(3, 0.9))["roc_auc"])


def test_direction_of_better():
    assert is_better("roc_auc", 0.9, 0.8)
    assert is_better("log_loss", 0.2, 0.3)
    assert not is_better("log_loss", 0.3, 0.2)


def test_figures_are_drawn():
    for fig in (
        roc_figure(Y, P),
        calibration_figure(Y, P, bins=2),
        confusion_figure(confusion(Y, P)),
    ):
        ax = fig.axes[0]
        assert ax.get_title()
        assert ax.lines or ax.images
