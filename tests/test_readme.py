"""The README and docs/ never lie: the diagram is the DAG, the commands exist, CI runs the test
command, the links work, and the configuration reference is what the code generates."""

import re
import subprocess

from mlcycle.orchestration.diagram import mermaid
from tests.conftest import PROJECT

README = (PROJECT / "README.md").read_text()
DOCS = {path.name: path.read_text() for path in sorted((PROJECT / "docs").glob("*.md"))}


def test_readme_diagram_is_the_pipeline():
    assert mermaid(PROJECT) in README, "DAG changed: paste the output of `make diagram` into README"


def test_ci_runs_the_readme_test_command():
    assert "make test" in README and "make run" in README
    ci = (PROJECT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.M)


def test_every_make_target_the_readme_names_exists():
    out = subprocess.run(["make", "-s", "help"], cwd=PROJECT, capture_output=True, text=True)
    listed = set(re.findall(r"make ([a-z][\w-]*)", out.stdout))
    named = set(re.findall(r"`make ([a-z][\w-]*)", README + "".join(DOCS.values())))
    assert {"run", "test", "lab", "ui", "test-fast"} <= listed
    assert named <= listed, named - listed


def test_every_mlcycle_command_the_docs_name_exists():
    from mlcycle.cli.main import COMMANDS

    named = set(re.findall(r"(?:`|bin/)mlcycle ([a-z][\w-]*)", README + "".join(DOCS.values())))
    assert {"batch", "migrate"} <= named  # the pages name commands, so this can fail
    assert named <= set(COMMANDS), named - set(COMMANDS)


def test_every_command_is_in_the_commands_page():
    from mlcycle.cli.main import COMMANDS

    page = DOCS["commands.md"]
    listed = set(re.findall(r"`([a-z][\w-]*)`", page.split("\n\n")[1]))
    assert set(COMMANDS) <= listed, set(COMMANDS) - listed


def test_the_readme_is_a_front_door_linking_every_docs_page():
    assert len(README.splitlines()) <= 250
    linked = set(re.findall(r"\]\(docs/([\w-]+\.md)\)", README))
    assert linked == set(DOCS), set(DOCS) ^ linked


def test_links_between_pages_resolve_and_nothing_outside_the_repository_is_cited():
    pages = {"README.md": README} | {f"docs/{n}": t for n, t in DOCS.items()}
    pages |= {str(p.relative_to(PROJECT)): p.read_text() for p in (PROJECT / "lib").rglob("*.py")}
    for name, text in pages.items():
        base = (PROJECT / name).parent
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", text):
            assert (base / target).exists(), f"{name} links to missing {target}"
        for outside in ("STACK-NOTES", "ARCHITECTURE.md", "../shared"):
            assert outside not in text, f"{name} cites {outside}, which is not in the repository"


def test_the_configuration_reference_is_up_to_date():
    from mlcycle.reference import render

    assert DOCS["configuration.md"] == render(PROJECT), "run `make docs` and commit the page"
