"""The two-worker schedule's groups (conftest.SHARED_FIXTURE_GROUPS) name exactly the modules
that request each shared fixture, directly or through one of their own fixtures: a module
missing from its group would make the fixture twice, on both workers."""

import ast

from tests.conftest import PROJECT, SHARED_FIXTURE_GROUPS

# the fixtures behind each group (tracking_server runs on the postgres cluster)
REQUESTS = {
    "built_project": {"built_project"},
    "stores": {"postgres", "tracking_server", "redis_server"},
    "loop": {"loop"},  # test_loop.py's module fixture: the simulated weeks
}


def modules_requesting(fixtures: set[str]) -> set[str]:
    found = set()
    for path in (PROJECT / "tests").rglob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and {a.arg for a in node.args.args} & fixtures:
                found.add(path.relative_to(PROJECT).as_posix())
    return found


def test_every_module_that_shares_a_fixture_is_in_its_group():
    assert set(SHARED_FIXTURE_GROUPS) == set(REQUESTS)
    for group, fixtures in REQUESTS.items():
        assert set(SHARED_FIXTURE_GROUPS[group]) == modules_requesting(fixtures), group
