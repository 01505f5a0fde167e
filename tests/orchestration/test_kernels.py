"""Stage kernels forked from the build's zygote: real kernels, real papermill, real Ploomber."""

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import pytest

from mlcycle.orchestration.kernels import (
    IMPORTERS,
    LAZY,
    SKIP_OPTIONAL,
    ZYGOTE_VAR,
    ForkedKernelManager,
    ForkedProcess,
    PreloadedKernels,
    preload_plan,
    preloaded,
    request_fork,
    zygote,
    zygote_threads,
)
from tests.conftest import PROJECT

# what a stage notebook reports about the process it runs in
PROBE = """\
import json, os, subprocess, sys
import numpy as np
report = {
    "pid": os.getpid(),
    "ppid": os.getppid(),
    "yaml_before": "yaml" in sys.modules,
    "cwd": os.getcwd(),
    "marker": os.environ.get("MLCYCLE_TEST_MARKER"),
    "random": float(np.random.rand()),
    "child": subprocess.run(["echo", "ok"], capture_output=True, text=True).stdout.strip(),
}
import yaml
"""


def test_the_plan_imports_what_the_stage_imports_in_order():
    plan = preload_plan([PROJECT / "notebooks" / "feature_store.py"])
    assert plan[0] == SKIP_OPTIONAL
    assert "mlcycle.features.store" in plan  # the package's modules the notebook imports
    assert "feast" in plan  # imported inside the store's functions only
    assert plan.index(IMPORTERS["feast"]) < plan.index("feast")  # the project's way first
    assert not {"json", "os", "pathlib", "__future__"} & set(plan)  # no standard library
    assert len(plan) == len(set(plan))
    # MLflow's SQL store, which MLflow imports only when a client first opens it
    assert set(LAZY["mlflow"]) <= set(preload_plan([PROJECT / "notebooks" / "select.py"]))
    # a stage that does not touch the store does not preload Feast
    assert "feast" not in preload_plan([PROJECT / "notebooks" / "collect.py"])


@pytest.mark.dag
def test_the_whole_pipelines_plan_leaves_the_zygote_able_to_fork(stage_kernels):
    """A library that starts a thread on import would make every launch fall back. (The
    session's zygote, tests/conftest.py, preloads the plan of every stage.)"""
    assert stage_kernels
    while not preloaded(stage_kernels):
        time.sleep(0.1)
    assert zygote_threads(stage_kernels) == 1


def _probe_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(PROBE + "print(json.dumps(report))")]
    return nb


def _run(nb, cwd):
    from nbclient import NotebookClient

    client = NotebookClient(
        nb, kernel_name="python3", kernel_manager_class=ForkedKernelManager,
        resources={"metadata": {"path": str(cwd)}},
    )  # fmt: skip
    client.execute()
    return json.loads(nb.cells[0].outputs[0]["text"])


@pytest.mark.dag
def test_kernels_fork_from_the_zygote_as_fresh_processes(tmp_path, monkeypatch):
    monkeypatch.delenv(ZYGOTE_VAR, raising=False)  # not the session's: one of its own
    monkeypatch.setenv("MLCYCLE_TEST_MARKER", "set by the build")
    with zygote([SKIP_OPTIONAL, "numpy", "yaml"]) as path:
        assert os.environ[ZYGOTE_VAR] == path
        first, second = _run(_probe_notebook(), tmp_path), _run(_probe_notebook(), tmp_path)
    assert ZYGOTE_VAR not in os.environ
    # forked by the zygote (one process for both), not started by this process
    assert first["ppid"] == second["ppid"] != os.getpid()
    assert first["pid"] != second["pid"]
    assert first["cwd"] == str(tmp_path) and first["marker"] == "set by the build"
    assert first["child"] == "ok"  # the kernel waits for its own subprocesses
    assert first["random"] != second["random"]  # each kernel seeds afresh
    # the zygote is gone with the block
    with pytest.raises(ProcessLookupError):
        os.kill(first["ppid"], 0)


@pytest.mark.dag
def test_without_a_zygote_the_kernel_starts_as_usual(tmp_path, monkeypatch):
    monkeypatch.delenv(ZYGOTE_VAR, raising=False)
    report = _run(_probe_notebook(), tmp_path)
    assert report["ppid"] == os.getpid() and not report["yaml_before"]


@pytest.mark.dag
def test_without_pidfds_the_forked_kernel_is_dropped_for_a_new_one(tmp_path, monkeypatch):
    def unsupported(pid):
        raise OSError(38, "Function not implemented")

    monkeypatch.setattr(os, "pidfd_open", unsupported)
    with zygote([SKIP_OPTIONAL, "yaml"]):
        report = _run(_probe_notebook(), tmp_path)
    assert report["ppid"] == os.getpid()  # launched the usual way


@pytest.mark.dag
def test_the_zygote_refuses_what_is_not_a_kernel_of_this_interpreter(tmp_path):
    with zygote(["yaml"]) as path:
        env = dict(os.environ)
        assert request_fork(path, ["/bin/echo", "-m", "ipykernel_launcher"], env, "/") is None
        assert request_fork(path, [sys.executable, "-c", "pass"], env, "/") is None
        while not preloaded(path):
            pass
    assert request_fork(str(tmp_path / "no-socket"), [sys.executable], {}, "/") is None


def test_a_process_that_is_not_our_child_is_followed_and_killed():
    started = subprocess.run(
        ["sh", "-c", "sleep 60 >/dev/null 2>&1 & echo $!"], capture_output=True, text=True
    )
    process = ForkedProcess(int(started.stdout))
    assert process.poll() is None
    process.kill()
    assert process.wait(10) == 0 and process.poll() == 0
    process.kill()  # a finished process is not signalled again (its pid may be reused)


def _build_two_stages(folder: Path) -> tuple[dict, dict]:
    """A Ploomber DAG of two probe notebooks run through PreloadedKernels; their reports."""
    from ploomber import DAG
    from ploomber.executors import Serial
    from ploomber.products import File
    from ploomber.tasks import NotebookRunner

    folder.mkdir(exist_ok=True)
    dag = DAG(executor=PreloadedKernels(Serial(build_in_subprocess=False)))
    # the first stage waits for the preloading to end, so the second is forked after it
    wait = "from mlcycle.orchestration.kernels import preloaded\n"
    wait += f"while not preloaded(os.environ['{ZYGOTE_VAR}']):\n    pass\n"
    for name, then in (("one", wait), ("two", "")):
        source = folder / f"{name}.py"
        source.write_text(textwrap.dedent("""\
            # %% tags=["parameters"]
            product = None

            # %%
        """) + PROBE + then + "open(product['out'], 'w').write(json.dumps(report))\n")  # fmt: skip
        product = {"nb": File(folder / f"{name}.ipynb"), "out": File(folder / f"{name}.json")}
        task = NotebookRunner(source, product, dag, name=name, kernelspec_name="python3")
        task.executor_params["kernel_manager_class"] = ForkedKernelManager
    dag.build(show_progress=False)
    one, two = (json.loads((folder / f"{n}.json").read_text()) for n in ("one", "two"))
    return one, two


@pytest.mark.dag
def test_a_ploomber_build_runs_its_notebooks_in_preloaded_kernels(tmp_path, monkeypatch):
    monkeypatch.delenv(ZYGOTE_VAR, raising=False)  # no session zygote: the build starts its own
    one, two = _build_two_stages(tmp_path)
    assert one["ppid"] == two["ppid"] != os.getpid()
    assert two["yaml_before"]  # the plan came from the notebooks' imports
    assert ZYGOTE_VAR not in os.environ
    with pytest.raises(ProcessLookupError):  # the build's zygote ended with the build
        os.kill(one["ppid"], 0)


@pytest.mark.dag
def test_builds_inside_a_running_zygote_fork_from_it(tmp_path, monkeypatch):
    """As `make simulate` runs its weeks: one zygote around several builds, none starting
    its own."""
    monkeypatch.delenv(ZYGOTE_VAR, raising=False)
    with zygote([SKIP_OPTIONAL, "yaml"]) as path:
        first, second = _build_two_stages(tmp_path / "first"), _build_two_stages(tmp_path / "2nd")
        zygote_pid = first[0]["ppid"]
        assert {r["ppid"] for r in (*first, *second)} == {zygote_pid}  # one parent, still alive
        os.kill(zygote_pid, 0)
        assert os.environ[ZYGOTE_VAR] == path


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def test_the_zygote_ends_when_the_build_is_killed(tmp_path):
    """A build killed with SIGKILL cannot stop its zygote: the zygote notices and exits."""
    script = tmp_path / "build.py"
    script.write_text(
        textwrap.dedent("""\
        import os, time
        from mlcycle.orchestration.kernels import zygote
        with zygote(["yaml"]):
            print(os.environ["MLCYCLE_KERNEL_ZYGOTE"], flush=True)
            time.sleep(600)
    """)
    )
    build = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    path = build.stdout.readline().strip()
    assert preloaded(path) in (True, False) and os.path.exists(path)
    watched = ForkedProcess(children_of(build.pid)[0])
    build.kill()
    build.wait()
    build.stdout.close()
    assert watched.wait(30) is not None  # it exited by itself
