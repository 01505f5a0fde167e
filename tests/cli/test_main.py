"""A user's mistake is one line with the next step and a non-zero exit, found before any
kernel starts or model loads; tracebacks are for bugs and for --debug."""

import subprocess
import sys

import pytest

from mlcycle.cli.common import UserError
from mlcycle.cli.lab import lab_options
from mlcycle.cli.main import main
from mlcycle.settings import load_settings

PROBE = """
import sys
from mlcycle.cli.main import main
code = main(sys.argv[1:])
heavy = sorted(m for m in ("mlflow", "ploomber", "sklearn", "feast") if m in sys.modules)
print(f"exit={code} heavy={heavy}")
"""


def run_cli(*argv, env=None):
    return subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True,
                          env=env, timeout=120)  # fmt: skip


@pytest.mark.parametrize(
    "argv, message",
    [
        (["promote", "abc"], "version 'abc' is not a version number"),
        (["promote", "-3"], "is not a version number"),
        (["deploy", "production"], "make promote VERSION=N"),
        (["run", "--env--dataseet", "x"], "unknown setting 'dataseet' in --env; did you mean"),
    ],
)
def test_a_mistake_is_one_line_before_anything_heavy_loads(argv, message):
    done = run_cli(*argv)
    assert "exit=2 heavy=[]" in done.stdout, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert message in done.stderr


def test_debug_shows_the_traceback(monkeypatch):
    with pytest.raises(UserError, match="not a version number"):
        main(["--debug", "promote", "abc"])
    monkeypatch.setenv("MLCYCLE_DEBUG", "1")
    with pytest.raises(UserError, match="not a version number"):
        main(["promote", "abc"])
    monkeypatch.setenv("MLCYCLE_DEBUG", "0")
    assert main(["promote", "abc"]) == 2


def test_lab_opens_at_the_project_root_with_the_first_stage_open():
    settings = load_settings()
    options = lab_options(settings, 8899)
    assert f"--ServerApp.root_dir={settings.project}" in options
    assert "--ServerApp.port=8899" in options and f"--ServerApp.ip={settings.host}" in options
    assert "--LabApp.default_url=/lab/tree/notebooks/collect.py" in options
    assert (settings.project / "notebooks" / "collect.py").is_file()


def test_a_broken_dataset_config_or_missing_data_file_is_found_before_the_build(tmp_path):
    churn = load_settings().dataset.read_text()
    typo = tmp_path / "typo.yaml"
    typo.write_text(churn.replace("target:", "targte:", 1))
    missing = tmp_path / "missing.yaml"
    missing.write_text(churn.replace("generator: customer_churn", "path: nowhere.csv", 1))
    for config, message in [(typo, "targte"), (missing, "nowhere.csv")]:
        done = run_cli("run", "--env--dataset", str(config))
        assert "exit=2 heavy=[]" in done.stdout, (done.stdout, done.stderr)
        assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
        assert message in done.stderr and str(config) in done.stderr


def test_the_program_freezes_its_heap_before_exit_and_code_calling_main_does_not():
    """As the `mlcycle` script, what the command left alive is frozen out of the collection
    Python makes at exit; main(argv) from code leaves the caller's collector alone."""
    probe = (
        "import gc, sys\n"
        "from mlcycle.cli.main import main\n"
        "sys.argv = ['mlcycle', '--help']\n"
        "main({argv})\n"
        "print('frozen' if gc.get_freeze_count() else 'not frozen', file=sys.stderr)\n"
    )
    for argv, expected in (("", "frozen"), ("['--help']", "not frozen")):
        done = subprocess.run([sys.executable, "-c", probe.format(argv=argv)],
                              capture_output=True, text=True, timeout=120)  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert done.stderr.strip().splitlines()[-1] == expected
