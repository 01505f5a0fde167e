"""What a batch of predictions looks like, by task: for the batch_predict stage's report."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from mlcycle.config import DatasetConfig
from mlcycle.task import BINARY, MULTICLASS, REGRESSION, Task

# what the batch report shows of the predictions, for the run's task only
SHOWN = {
    BINARY: "The distribution of probabilities, and the rows most likely positive.",
    MULTICLASS: "How many rows each class is predicted for, and the surest of each class.",
    REGRESSION: "The distribution of the predicted numbers, and the highest predictions.",
}


def predictions_figure(predictions: pd.DataFrame, config: DatasetConfig, task: Task) -> Figure:
    """Binary: the distribution of probabilities and the predicted rate; classes: how many
    rows each class is predicted for; regression: the distribution of predicted numbers."""
    target = config.target.column
    fig = Figure(figsize=(7, 3))
    ax = fig.subplots()
    if task == MULTICLASS:
        counts = predictions["prediction"].value_counts().sort_index()
        ax.bar(counts.index.astype(str), counts.to_numpy(), color="#4c72b0")
        ax.set(xlabel=f"predicted {target}", ylabel="rows", title=f"predicted {target}")
    elif task == BINARY:
        ax.hist(predictions["probability"], bins=40, color="#4c72b0")
        rate = predictions["prediction"].mean()
        ax.set(xlabel=f"probability of {target}", ylabel="rows",
               title=f"predicted {target} rate: {rate:.1%}")  # fmt: skip
    else:
        ax.hist(predictions["prediction"], bins=40, color="#4c72b0")
        mean = predictions["prediction"].mean()
        ax.set(xlabel=f"predicted {target}", ylabel="rows",
               title=f"predicted {target}: mean {mean:,.4g}")  # fmt: skip
    fig.tight_layout()
    return fig


def top_rows(predictions: pd.DataFrame, config: DatasetConfig, task: Task, n: int = 10):
    """The rows a reader looks at first: the most likely positives, the highest predicted
    numbers, or for classes the surest prediction of each class."""
    if task == MULTICLASS:
        surest = predictions.sort_values("probability", ascending=False)
        return surest.groupby("prediction", sort=True).head(2)[[config.id, "prediction",
                                                                "probability"]]  # fmt: skip
    column = "prediction" if task != BINARY else "probability"
    return predictions.nlargest(n, column)[[config.id, column]]
