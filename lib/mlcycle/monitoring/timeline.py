"""The simulation's timeline, for people: drift and accuracy per week, retrains, the champion
over time, and every decision with its reasons, as one self-contained HTML page."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure


def timeline_figure(frame: pd.DataFrame, drift_share: float = 0.5) -> Figure:
    """Three panels sharing the week axis: drift share, accuracy, who serves."""
    fig = Figure(figsize=(9, 7.5), layout="constrained")
    drift_ax, acc_ax, serve_ax = fig.subplots(3, 1, sharex=True)
    weeks = frame.index.to_numpy()
    drifted = frame.index[frame["drifted_traffic"]]
    for ax in (drift_ax, acc_ax, serve_ax):
        for week in drifted:
            ax.axvspan(week - 0.5, week + 0.5, color="#f4cccc", alpha=0.35, lw=0)
        for week in frame.index[frame["retrain"]]:
            ax.axvline(week, color="#555555", ls=":", lw=1)
    drift_ax.bar(weeks, frame["drift_share"], color=["#c0392b" if d else "#7f8c8d"
                                                     for d in frame["dataset_drift"]])  # fmt: skip
    drift_ax.axhline(drift_share, color="#c0392b", ls="--", lw=1, label="dataset drift threshold")
    drift_ax.set_ylabel("drifted columns")
    drift_ax.set_ylim(0, 1)
    drift_ax.legend(loc="upper left", fontsize=8)
    drift_ax.set_title("Shaded: drifted traffic; dotted: a retrain; red bars: drift detected",
                       fontsize=9)  # fmt: skip
    for column, label, style in (("accuracy", "all served", "-o"),
                                 ("champion_accuracy", "champion", "--s"),
                                 ("challenger_accuracy", "challenger", ":^")):  # fmt: skip
        acc_ax.plot(weeks, frame[column].astype(float), style, label=label)
    acc_ax.set_ylabel("accuracy (last week,\noutcomes now known)")
    acc_ax.legend(loc="lower left", fontsize=8)
    serve_ax.step(weeks, frame["champion_version"].astype(int), where="mid", color="#2c3e50",
                  label="champion version")  # fmt: skip
    serve_ax.set_ylabel("champion version")
    serve_ax.yaxis.get_major_locator().set_params(integer=True)
    share = serve_ax.twinx()
    share.bar(weeks, frame["challenger_share"], alpha=0.3, color="#27ae60")
    share.set_ylabel("challenger traffic %")
    share.set_ylim(0, 100)
    serve_ax.set_xlabel("week")
    serve_ax.set_xticks(weeks)
    return fig


def _png(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    return base64.b64encode(buffer.getvalue()).decode()


def render_timeline(
    frame: pd.DataFrame,
    path: str | Path,
    title: str,
    intro: str,
    drift_share: float = 0.5,
    links: dict[int, str] | None = None,
) -> Path:
    """Write the page: the figure, then one row per week (links to the drift reports)."""
    rows = []
    for week, row in frame.iterrows():
        link = (links or {}).get(int(week))
        drift = f"{row['drift_share']:.0%}" + (" (drift)" if row["dataset_drift"] else "")
        if link:
            drift = f'<a href="{html.escape(link)}">{drift}</a>'
        acc = "" if pd.isna(row["accuracy"]) else f"{row['accuracy']:.3f}"
        events = "<br>".join(html.escape(x) for x in (row["promotion"], row["rollout"]) if x)
        rows.append(
            f"<tr><td>{week}</td><td>{'yes' if row['drifted_traffic'] else ''}</td>"
            f"<td>{drift}</td><td>{acc}</td><td>v{html.escape(str(row['champion_version']))}"
            f"</td><td>{row['challenger_share']:g}%</td>"
            f"<td>{html.escape('; '.join(row['decision']))}</td><td>{events}</td></tr>"
        )
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}}
table{{border-collapse:collapse;font-size:13px}}td,th{{border-bottom:1px solid #ddd;padding:4px 8px;
text-align:left;vertical-align:top}}th{{background:#f4f4f4}}</style></head><body>
<h1>{html.escape(title)}</h1><p>{html.escape(intro)}</p>
<img alt="timeline" src="data:image/png;base64,{_png(timeline_figure(frame, drift_share))}">
<h2>Week by week</h2><table><tr><th>week</th><th>drifted traffic</th><th>drift found</th>
<th>accuracy</th><th>champion</th><th>challenger traffic</th><th>decision</th>
<th>retrain and rollout</th></tr>{"".join(rows)}</table></body></html>"""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page)
    return path
