"""The hub's small charts: how the models and the data moved across versions and weeks.

Static PNGs inside the page (no scripts, no files beside it), each with alt text that says
what it shows, so the hub reads the same sent as a file as served from a web server.
"""

from __future__ import annotations

from datetime import UTC, datetime

from matplotlib.figure import Figure

from mlcycle.reporting.page import figure_img, plural

DEFAULT_METRIC = "roc_auc"


def _day(ms: int | None) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%m-%d %H:%M") if ms else "?"


def metric_trend(history: list[dict], metric: str, champion: str | None) -> str | None:
    """The test metric of every registered version, the champion marked; None with no data."""
    points = [(v["version"], v["metrics"].get(f"test_{metric}")) for v in history]
    points = [(v, m) for v, m in points if m is not None]
    if not points:
        return None
    fig = Figure(figsize=(4.6, 2.6))
    ax = fig.subplots()
    versions, values = zip(*points, strict=True)
    ax.plot(versions, values, "-o", color="#4c72b0")
    for v, m in points:
        if str(v) == str(champion):
            ax.plot([v], [m], "o", markersize=11, markerfacecolor="none", color="#1e7b34")
            ax.annotate("champion", (v, m), textcoords="offset points", xytext=(0, 9),
                        ha="center", fontsize=8, color="#1e7b34")  # fmt: skip
    ax.set_xticks(list(versions))
    ax.set(xlabel="model version", ylabel=f"test {metric}", title=f"Test {metric} by version")
    fig.tight_layout()
    best = max(points, key=lambda p: p[1])
    alt = (
        f"Line chart of test {metric} for {plural(len(points), 'model version')}: "
        + ", ".join(f"v{v} {m:.3f}" for v, m in points)
        + (f"; the champion is v{champion}" if champion else "")
        + f"; the best is v{best[0]}."
    )
    return figure_img(fig, alt)


def drift_trend(monitoring: list[dict], threshold: float | None = None) -> str | None:
    """The drift share of each monitoring run, retrains marked; None with no data."""
    points = [(i, r) for i, r in enumerate(monitoring, 1) if r.get("drift_share") is not None]
    if not points:
        return None
    fig = Figure(figsize=(4.6, 2.6))
    ax = fig.subplots()
    xs = [i for i, _ in points]
    ys = [r["drift_share"] for _, r in points]
    ax.plot(xs, ys, "-o", color="#4c72b0", label="drift share")
    retrains = [(i, r["drift_share"]) for i, r in points if r.get("retrain")]
    if retrains:
        ax.plot(*zip(*retrains, strict=True), "s", color="#b3261e", label="retrain decided")
    if threshold is not None:
        ax.axhline(threshold, color="grey", linestyle="--", linewidth=1, label="threshold")
    ax.set_ylim(0, 1)
    ax.set_xticks(xs)
    ax.set(xlabel="monitoring run", ylabel="share of features drifted",
           title="Drift at each monitoring run")  # fmt: skip
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    alt = (
        f"Line chart of the share of drifted features at {plural(len(points), 'monitoring run')}: "
        + ", ".join(f"{_day(r.get('started'))} {r['drift_share']:.0%}" for _, r in points)
        + (f"; {len(retrains)} decided to retrain." if retrains else "; none decided to retrain.")
    )
    return figure_img(fig, alt)
