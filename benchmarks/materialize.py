"""Loading the online store: customers per second at 100k and 1M customers.

The feature tables are the generator's (tiled with new ids past the generated size, so large
sizes cost no generation time); the store is a temporary copy of feature_repo/feature_store.yaml,
loaded by mlcycle.features.store.materialize, as the build's materialize stage does (Feast's own
`materialize`: point-in-time reads of the offline store, protobuf conversion, online writes).
Each size is loaded in two fresh processes, side by side: through Feast's own SQLite online
store and local engine (a protobuf message and an upsert per customer and feature), and through
the project's (rows built from each Arrow batch, one `executemany` per batch:
mlcycle.features.engine, arrow_rows and online_sqlite). Both import Feast as the project does.

Then a whole build (`mlcycle run`) at --build-customers on a temporary copy of the project:
the materialize stage's share of the stages' time (Ploomber's report), which the load is
meant to keep under 15 % at 100k customers.

    .venv/bin/python benchmarks/materialize.py                        # 100k customers
    .venv/bin/python benchmarks/materialize.py --customers 100000 1000000 --build-customers 0
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

PROJECT = Path(__file__).resolve().parents[1]
GENERATED = 20_000  # customers generated; larger sizes repeat them under new ids


def feature_tables(n: int, config) -> dict[str, pd.DataFrame]:
    from mlcycle.data.generator import generate_customers
    from mlcycle.features.store import feature_tables

    data = generate_customers(min(n, GENERATED), snapshot_date="2026-06-30", seed=1)
    base = feature_tables(data.customers, data.events, config)
    out = {}
    for name, table in base.items():
        copies = []
        for k in range(-(-n // len(table))):
            part = table.copy()
            part[config.id] = part[config.id].astype(str) + (f"-{k}" if k else "")
            copies.append(part)
        out[name] = pd.concat(copies, ignore_index=True).head(n)
    return out


def load_store(work: Path, config, tables: dict[str, pd.DataFrame], online_type: str) -> float:
    """Seconds to load `tables` into a fresh store, as the materialize stage does."""
    import yaml

    from mlcycle.features import store as fs

    paths = {}
    for name, table in tables.items():
        paths[name] = work / f"{name}.parquet"
        table.to_parquet(paths[name], index=False)
    raw = yaml.safe_load((PROJECT / "feature_repo" / "feature_store.yaml").read_text())
    raw["online_store"] = {"type": online_type, "path": str(work / "online.db")}
    template = work / "feature_store.yaml"
    template.write_text(yaml.safe_dump(raw))
    store = fs.open_store(work, template)
    fs.apply_definitions(store, fs.definitions(config, paths, ttl_days=400))
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        fs.materialize(store, tables, config.timestamp_column)
    seconds = time.perf_counter() - started
    some = str(tables["profile"][config.id].iloc[-1])
    row = fs.online_features(store, config, some)  # the last customer is served
    assert not row.isna().all(axis=None), f"{some} has no features after the load"
    return seconds


# the online store's type in feature_store.yaml: `sqlite` is the project's bulk writer
VARIANTS = {
    "Feast's SQLite store": "feast.infra.online_stores.sqlite.SqliteOnlineStore",
    "the project's (bulk)": "sqlite",
}


def one_load(n: int, online_type: str) -> float:
    """Seconds to load n customers, in this process, into an online store of `online_type`."""
    from mlcycle.config import load_dataset_config
    from mlcycle.environment import apply_quiet_defaults

    apply_quiet_defaults()
    config = load_dataset_config(PROJECT / "config/datasets/churn.yaml")
    tables = feature_tables(n, config)
    with tempfile.TemporaryDirectory() as tmp:
        return load_store(Path(tmp), config, tables, online_type)


def _products() -> Path:
    from mlcycle.settings import load_settings

    return load_settings(PROJECT).products


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[100_000])
    parser.add_argument("--one", nargs=2, metavar=("N", "VARIANT"), help=argparse.SUPPRESS)
    parser.add_argument(
        "--build-customers",
        type=int,
        default=100_000,
        help="a whole build of this size: materialize's share (0: none)",
    )
    parser.add_argument("--out", default=str(_products() / "benchmarks" / "materialize.json"))
    args = parser.parse_args(argv)
    if args.one:  # a child process: one load, its seconds on stdout
        print(one_load(int(args.one[0]), args.one[1]))
        return 0

    rows = []
    for n in args.customers:
        for label, variant in VARIANTS.items():
            done = subprocess.run([sys.executable, __file__, "--one", str(n), variant],
                                  capture_output=True, text=True, check=True)  # fmt: skip
            seconds = float(done.stdout.strip().splitlines()[-1])
            rows.append({"customers": n, "load": label, "seconds": round(seconds, 1),
                         "customers_per_s": round(n / seconds)})  # fmt: skip
            print(f"  {n:>9,} customers  {label:32} {seconds:8.1f} s  "
                  f"{n / seconds:>10,.0f} customers/s", flush=True)  # fmt: skip
    lines = ["| customers | load | seconds | customers/s |", "|---|---|---|---|"]
    lines += [f"| {r['customers']:,} | {r['load']} | {r['seconds']} | {r['customers_per_s']:,} |"
              for r in rows]  # fmt: skip
    print("\n".join(lines))
    report = {"loads": rows}
    if args.build_customers:
        report["build"] = build_share(args.build_customers)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2))
    return 0


def build_share(n: int) -> dict:
    """A whole default build at n customers, in a temporary copy: materialize's share."""
    from build import build, build_environment, project_copy  # benchmarks/build.py

    build_environment()
    with tempfile.TemporaryDirectory() as tmp:
        project = project_copy(Path(tmp) / "project")
        wall, stages, _ = build(project, None, ["--env--n_customers", str(n)])
    total = sum(stages.values())
    share = stages["materialize"] / total
    largest = sorted(stages.items(), key=lambda kv: -kv[1])[:3]
    print(f"  whole build at {n:,} customers: {wall:.1f} s (stages {total:.1f} s); materialize "
          f"{stages['materialize']:.1f} s, {share:.1%} of the stages' time; largest: "
          + ", ".join(f"{k} {v:.1f} s" for k, v in largest), flush=True)  # fmt: skip
    return {"customers": n, "wall_s": round(wall, 1), "stages_s": round(total, 1),
            "materialize_s": stages["materialize"], "materialize_share": round(share, 3),
            "stages": stages}  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
