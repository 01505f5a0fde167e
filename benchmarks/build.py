"""What a build spends its time on: per-stage fixed cost, a full build, a no-op rerun.

Three measurements, each beside its reference, in one run on a temporary copy of the project:

1. Fixed cost per stage: the stage's kernel and the notebook's own imports run in it (what
   every stage pays before any work): a kernel started from scratch, and one forked from the
   build's zygote (kernels.py), against `python -c` running the same imports.
2. Full builds (`mlcycle run`), kernels forked (the default) and kernels from scratch
   (`preload_kernels: false`): wall time and each stage's time (Ploomber's report); what is
   not work is every import the kernels made themselves (profiled with PYTHONPROFILEIMPORTTIME,
   lazy imports inside library functions included) plus a bare kernel start per stage, as a
   share of the stages' time.
3. A no-op rerun (everything up to date), against `python -c "import mlcycle"`.

    .venv/bin/python benchmarks/build.py                 # default data (env.yaml)
    .venv/bin/python benchmarks/build.py --env-file env.test.yaml --repeat 3
"""

from __future__ import annotations

import argparse
import ast
import contextlib
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


def kernel_fixed_cost(code: str, cwd: Path, forked: bool = False) -> float:
    """Seconds from asking for a stage's kernel to having run `code` in it, as papermill does
    (nbclient): a kernel started from scratch, or forked from a zygote preloaded with the
    stage's plan (what a build does; the zygote had the previous stage's time to preload)."""
    import nbformat
    from nbclient import NotebookClient

    from mlcycle.orchestration.kernels import ForkedKernelManager

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(code)]
    client = NotebookClient(
        nb, kernel_name="python3", kernel_manager_class=ForkedKernelManager,
        resources={"metadata": {"path": str(cwd)}},
    )  # fmt: skip
    started = time.perf_counter()
    client.execute()
    return time.perf_counter() - started


def preloaded_zygote(notebooks: list[Path]):
    """The build's zygote for these notebooks, once it has made all its imports."""
    from mlcycle.orchestration.kernels import preload_plan, preloaded, zygote

    @contextlib.contextmanager
    def ready():
        with zygote(preload_plan(notebooks)) as path:
            while not preloaded(path):
                time.sleep(0.2)
            yield path

    return ready()


def process_seconds(args: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(args, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - started


def median_of(repeat: int, measure, *args) -> float:
    return statistics.median(measure(*args) for _ in range(repeat))


def build(
    project: Path, env_file: str | None, extra: list[str], profile_imports: bool = False
) -> tuple[float, dict, float]:
    """Wall seconds of a build, {task: seconds} from Ploomber's report, and with
    `profile_imports` the seconds spent importing in the build and every kernel it started
    (PYTHONPROFILEIMPORTTIME, which the kernels inherit: the top-level imports' cumulative
    times, lazy imports inside library functions included)."""
    args = [sys.executable, "-m", "mlcycle.cli.main", "run"]
    if env_file:
        args += ["--env-file", env_file]
    env = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1"} if profile_imports else None
    started = time.perf_counter()
    done = subprocess.run([*args, *extra], cwd=project, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"build failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    elapsed = {}
    for line in done.stdout.splitlines():
        cells = line.split()
        if len(cells) == 3 and cells[1] == "yes":  # the stage table of `mlcycle run`
            elapsed[cells[0]] = float(cells[2])
    return seconds, elapsed, _top_level_import_seconds(done.stderr)


def _top_level_import_seconds(stderr: str) -> float:
    """Sum of the cumulative times of top-level imports in `-X importtime` output."""
    total_us = 0
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line.removeprefix("import time:").split("|", 2)
        if cumulative.strip().isdigit() and not name.startswith("  "):  # not nested
            total_us += int(cumulative)
    return total_us / 1e6


def build_environment() -> None:
    """Quiet libraries, and no tracking URI of the caller's: a copy's build logs to its own
    store."""
    from mlcycle.environment import apply_quiet_defaults

    apply_quiet_defaults()
    os.environ.pop("MLFLOW_TRACKING_URI", None)


def project_copy(project: Path) -> Path:
    """What a build reads (the DAG, settings, notebooks, configs), copied to `project`."""
    project.mkdir()
    for name in ("pipeline.yaml", "env.yaml", "env.test.yaml", "env.grid.yaml"):
        shutil.copy(PROJECT / name, project / name)
    for name in ("notebooks", "config", "feature_repo"):
        shutil.copytree(PROJECT / name, project / name, ignore=shutil.ignore_patterns("*.ipynb"))
    return project


def _products(project: Path = PROJECT, env_file: str | None = None) -> Path:
    from mlcycle.settings import load_settings

    return load_settings(project, env_file).products


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env-file", default=None, help="e.g. env.test.yaml (default env.yaml)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each small measurement")
    parser.add_argument(
        "--fixed-cost", action=argparse.BooleanOptionalAction, default=True,
        help="measure 1. (the per-stage import lines; about 5 minutes)",
    )  # fmt: skip
    parser.add_argument("--out", default=str(_products() / "benchmarks" / "build.json"))
    args = parser.parse_args(argv)

    build_environment()
    report: dict = {"machine": f"{os.cpu_count()} cores", "env_file": args.env_file or "env.yaml"}
    with tempfile.TemporaryDirectory() as tmp:
        project = project_copy(Path(tmp) / "project")

        # 1. fixed cost per stage: a kernel from scratch, a kernel forked from the zygote
        fixed = []
        for nb in sorted((project / "notebooks").glob("*.py")) if args.fixed_cost else []:
            code = stage_imports(nb)
            cold = median_of(args.repeat, kernel_fixed_cost, code, project)
            with preloaded_zygote([nb]):
                forked = median_of(args.repeat, kernel_fixed_cost, code, project)
            plain = median_of(args.repeat, process_seconds, [sys.executable, "-c", code], project)
            fixed.append({"stage": nb.stem, "new_kernel_and_imports_s": round(cold, 2),
                          "forked_kernel_and_imports_s": round(forked, 2),
                          "python_c_imports_s": round(plain, 2)})  # fmt: skip
            print(f"  {nb.stem:14} kernel + imports: new {cold:5.2f} s, forked {forked:5.2f} s"
                  f"   python -c imports {plain:5.2f} s", flush=True)  # fmt: skip
        report["fixed_cost"] = fixed
        if fixed:
            keys = [k for k in fixed[0] if k != "stage"]
            means = {k: round(statistics.mean(f[k] for f in fixed), 2) for k in keys}
            report["fixed_cost_mean"] = means
            print(
                f"  mean: new {means['new_kernel_and_imports_s']:.2f} s, "
                f"forked {means['forked_kernel_and_imports_s']:.2f} s",
                flush=True,
            )

        # 2. full builds, kernels forked (the default) and new, importing with the profiler on;
        # the build process's own imports are those of a no-op rerun, subtracted. A forked
        # kernel reports only the imports it made itself (the zygote's go nowhere).
        with preloaded_zygote([]):
            forked_start = median_of(args.repeat, kernel_fixed_cost, "pass", project)
        new_start = median_of(args.repeat, kernel_fixed_cost, "pass", project)
        report["build"] = {}
        products = _products(project, args.env_file)
        for label, preload, start in (("forked", True, forked_start), ("new", False, new_start)):
            shutil.rmtree(products, ignore_errors=True)
            extra = ["--env--preload_kernels", str(preload).lower()]
            wall, elapsed, imports_all = build(project, args.env_file, extra, profile_imports=True)
            _, _, imports_build = build(project, args.env_file, extra, profile_imports=True)
            kernel_imports = imports_all - imports_build
            stage_total = sum(elapsed.values())
            not_work = kernel_imports + start * len(elapsed)
            report["build"][label] = {
                "wall_s": round(wall, 1),
                "stages_s": round(stage_total, 1),
                "stages": elapsed,
                "imports_in_kernels_s": round(kernel_imports, 1),
                "kernel_start_s": round(start, 2),
                "not_work_share": round(not_work / stage_total, 3),
                "mean_fixed_cost_s": round(not_work / len(elapsed), 2),
            }
            print(f"  full build, {label} kernels: {wall:.1f} s (stages {stage_total:.1f} s): "
                  f"imports in kernels {kernel_imports:.1f} s, kernel start {start:.2f} s x "
                  f"{len(elapsed)}; not work {not_work / stage_total:.0%} of stage time, "
                  f"{not_work / len(elapsed):.2f} s a stage on average "
                  "(with the profiler's own overhead)", flush=True)  # fmt: skip

        # 3. a no-op rerun
        def noop() -> float:
            seconds, ran, _ = build(project, args.env_file, [])
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
