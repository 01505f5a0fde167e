"""What a build spends its time on: per-stage fixed cost, a full build, a no-op rerun.

Three measurements, each beside its reference, in one run on a temporary copy of the project:

1. Fixed cost per stage: a fresh kernel started and the stage notebook's own imports run in it
   (what every stage pays before any work), against `python -c` running the same imports.
2. A full build (`python -m mlcycle.orchestration.dag build`): wall time and each stage's time
   (Ploomber's report); the share that is not work is the stages' fixed cost over their time.
3. A no-op rerun (everything up to date), against `python -c "import mlcycle"`.

    .venv/bin/python benchmarks/build.py                 # default data (env.yaml)
    .venv/bin/python benchmarks/build.py --env-file env.test.yaml --repeat 3
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]


def stage_imports(notebook: Path) -> str:
    """The import statements of a jupytext notebook, in order (the stage's fixed cost)."""
    tree = ast.parse(notebook.read_text())
    lines = [
        ast.unparse(node)
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
    ]
    return "\n".join(dict.fromkeys(lines))


def kernel_fixed_cost(code: str, cwd: Path) -> float:
    """Seconds from starting a kernel to having run `code` in it."""
    from jupyter_client.manager import start_new_kernel

    started = time.perf_counter()
    km, kc = start_new_kernel(kernel_name="python3", cwd=str(cwd))
    try:
        reply = kc.execute_interactive(code, timeout=300, store_history=False)
        assert reply["content"]["status"] == "ok", reply["content"]
        return time.perf_counter() - started
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def process_seconds(args: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(args, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - started


def median_of(repeat: int, measure, *args) -> float:
    return statistics.median(measure(*args) for _ in range(repeat))


def build(project: Path, env_file: str | None, extra: list[str]) -> tuple[float, dict]:
    """Wall seconds of a build and {task: seconds} from Ploomber's report."""
    args = [sys.executable, "-m", "mlcycle.orchestration.dag", "build"]
    if env_file:
        args += ["--env-file", env_file]
    started = time.perf_counter()
    done = subprocess.run([*args, *extra], cwd=project, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"build failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    elapsed = {}
    for line in done.stdout.splitlines():
        cells = line.split()
        if len(cells) >= 3 and cells[1] == "True":
            elapsed[cells[0]] = float(cells[2])
    return seconds, elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env-file", default=None, help="e.g. env.test.yaml (default env.yaml)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each small measurement")
    parser.add_argument("--out", default=str(PROJECT / "products/benchmarks/build.json"))
    args = parser.parse_args(argv)

    from mlcycle.environment import apply_quiet_defaults

    apply_quiet_defaults()
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    report: dict = {"machine": f"{os.cpu_count()} cores", "env_file": args.env_file or "env.yaml"}
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "project"
        project.mkdir()
        for name in ("pipeline.yaml", "env.yaml", "env.test.yaml", "env.grid.yaml"):
            shutil.copy(PROJECT / name, project / name)
        for name in ("notebooks", "config", "feature_repo"):
            shutil.copytree(
                PROJECT / name, project / name, ignore=shutil.ignore_patterns("*.ipynb")
            )

        # 1. fixed cost per stage
        fixed = []
        for nb in sorted((project / "notebooks").glob("*.py")):
            code = stage_imports(nb)
            in_kernel = median_of(args.repeat, kernel_fixed_cost, code, project)
            plain = median_of(args.repeat, process_seconds, [sys.executable, "-c", code], project)
            fixed.append({"stage": nb.stem, "kernel_and_imports_s": round(in_kernel, 2),
                          "python_c_imports_s": round(plain, 2)})  # fmt: skip
            print(f"  {nb.stem:14} kernel + imports {in_kernel:5.2f} s   "
                  f"python -c imports {plain:5.2f} s", flush=True)  # fmt: skip
        report["fixed_cost"] = fixed

        # 2. a full build
        wall, elapsed = build(project, args.env_file, [])
        cost = {f["stage"]: f["kernel_and_imports_s"] for f in fixed}
        stage_fixed = {t: cost[t.rsplit("-", 1)[0] if t.startswith("candidate-") else t]
                       for t in elapsed}  # fmt: skip
        stage_total = sum(elapsed.values())
        report["build"] = {
            "wall_s": round(wall, 1),
            "stages_s": round(stage_total, 1),
            "stages": elapsed,
            "fixed_share": round(
                sum(min(stage_fixed[t], s) for t, s in elapsed.items()) / stage_total, 3
            ),  # fmt: skip
            "mean_fixed_cost_s": round(statistics.mean(stage_fixed.values()), 2),
        }
        print(
            f"  full build {wall:.1f} s (stages {stage_total:.1f} s); fixed cost "
            f"{report['build']['fixed_share']:.0%} of stage time, "
            f"{report['build']['mean_fixed_cost_s']:.2f} s a stage on average",
            flush=True,
        )

        # 3. a no-op rerun
        def noop() -> float:
            seconds, ran = build(project, args.env_file, [])
            assert not ran, f"a rerun ran {sorted(ran)}"
            return seconds

        rerun = median_of(args.repeat, noop)
        imports = median_of(
            args.repeat, process_seconds, [sys.executable, "-c", "import mlcycle"], project
        )
        report["noop_rerun"] = {"seconds": round(rerun, 2),
                                "python_c_import_mlcycle_s": round(imports, 2)}  # fmt: skip
        print(f"  no-op rerun {rerun:.2f} s   python -c 'import mlcycle' {imports:.2f} s")

    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2))
    print(f"figures written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
