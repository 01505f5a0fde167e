from mlcycle.reporting.stages import BUILT, FAILED, NOT_BUILT, OUT_OF_DATE, read_stage, read_stages
from tests.reporting.conftest import notebook


def test_a_stage_is_built_failed_out_of_date_or_never_built(planted, tmp_path):
    stages = read_stages(planted, outdated={"register": "not run: stage 'evaluate' failed"})
    states = {s.name: s.state for s in stages}
    assert states == {"validate": BUILT, "evaluate": BUILT, "register": OUT_OF_DATE,
                      "monitor": BUILT}  # fmt: skip
    register = stages[2]
    assert register.why == "not run: stage 'evaluate' failed" and not register.ok
    assert stages[1].title == "Evaluate"  # the notebook's heading, without its number
    assert set(stages[3].pages) == {"report", "drift_report"}  # the HTML products

    never = read_stage("select", {"nb": str(tmp_path / "missing.ipynb")})
    assert never.state == NOT_BUILT and never.built_at is None and never.title == "Select"


def test_a_failed_stage_carries_its_exception(tmp_path):
    nb = notebook(tmp_path / "evaluate.ipynb", "Evaluate",
                  error="QualityGateFailed: accuracy 0.70 is below 0.85")  # fmt: skip
    # a failed stage stays failed even when the DAG also calls it out of date
    stage = read_stage("evaluate", {"nb": str(nb)}, outdated="out of date: source code")
    assert stage.state == FAILED
    assert stage.error == "QualityGateFailed: accuracy 0.70 is below 0.85"
