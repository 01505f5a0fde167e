import ast
import os
import sys
import textwrap

import pytest

from mlcycle.orchestration.digest import (
    code_digest,
    external_imports,
    files_digest,
    inputs_digest,
    module_closure,
)


@pytest.fixture
def package(tmp_path, monkeypatch):
    """A throwaway package `pkgx`: a imports b (relatively), c stands alone."""
    root = tmp_path / "pkgx"
    (root / "sub").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "sub" / "__init__.py").write_text("")
    (root / "a.py").write_text("from .sub import b\n\ndef fa():\n    return b.fb()\n")
    (root / "sub" / "b.py").write_text("def fb():\n    return 1\n")
    (root / "c.py").write_text("import os\n\ndef fc():\n    return 2\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield root
    for name in [m for m in sys.modules if m.startswith("pkgx")]:
        del sys.modules[name]


def test_closure_follows_imports_transitively(package):
    assert sorted(module_closure("from pkgx import a", "pkgx")) == [
        "pkgx",
        "pkgx.a",
        "pkgx.sub",
        "pkgx.sub.b",
    ]
    assert sorted(module_closure("import pkgx.c as c", "pkgx")) == ["pkgx", "pkgx.c"]
    assert module_closure("import os, json", "pkgx") == {}


def test_code_edit_changes_the_digest_of_importers_only(package):
    uses_a, uses_c = "from pkgx import a", "from pkgx.c import fc"
    before_a, before_c = code_digest(uses_a, "pkgx"), code_digest(uses_c, "pkgx")
    (package / "sub" / "b.py").write_text("def fb():\n    return 42\n")
    assert code_digest(uses_a, "pkgx") != before_a  # a imports b
    assert code_digest(uses_c, "pkgx") == before_c  # c does not


def test_comments_and_formatting_do_not_count(package):
    before = code_digest("from pkgx import c", "pkgx")
    (package / "c.py").write_text(
        textwrap.dedent("""
        import os   # the os module


        def fc():
            # still two
            return 2
    """)
    )
    assert code_digest("from pkgx import c", "pkgx") == before


def test_modules_are_found_without_importing_them(tmp_path, monkeypatch):
    """Resolving `pkgy.heavy.leaf` must not run pkgy/heavy/__init__.py (in the project, that
    is scikit-learn or mlflow being imported by the build just to compute a digest)."""
    root = tmp_path / "pkgy"
    (root / "heavy").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "heavy" / "__init__.py").write_text("raise RuntimeError('imported')\n")
    (root / "heavy" / "leaf.py").write_text("X = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    closure = module_closure("from pkgy.heavy.leaf import X", "pkgy")
    assert sorted(closure) == ["pkgy", "pkgy.heavy", "pkgy.heavy.leaf"]
    assert closure["pkgy.heavy.leaf"] == root / "heavy" / "leaf.py"
    assert "pkgy.heavy" not in sys.modules


def test_a_same_size_edit_right_after_a_digest_counts(package):
    """Parses are cached by size and mtime; a file changed a moment ago is never served from
    the cache, so an edit that keeps both (within one clock tick) is still seen."""
    before = code_digest("from pkgx import c", "pkgx")
    stat = (package / "c.py").stat()
    (package / "c.py").write_text((package / "c.py").read_text().replace("2", "3"))
    os.utime(package / "c.py", ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same size and mtime
    assert code_digest("from pkgx import c", "pkgx") != before


def test_file_contents_count(tmp_path):
    cfg = tmp_path / "d.yaml"
    cfg.write_text("a: 1")
    before = files_digest([cfg, "s3://bucket/x.csv"])
    assert files_digest([cfg, "s3://bucket/x.csv"]) == before
    cfg.write_text("a: 2")
    assert files_digest([cfg, "s3://bucket/x.csv"]) != before


def test_large_files_count_by_size_and_mtime(tmp_path, monkeypatch):
    import os

    import mlcycle.orchestration.digest as digest

    monkeypatch.setattr(digest, "CONTENT_HASH_LIMIT", 10)
    big = tmp_path / "big.csv"
    big.write_text("a,b\n1,2\n3,4\n")
    before = files_digest([big])
    big.write_text("a,b\n1,2\n3,5\n")  # same size: only the mtime tells
    os.utime(big, ns=(big.stat().st_atime_ns, big.stat().st_mtime_ns + 10**9))
    assert files_digest([big]) != before


def test_real_notebooks_depend_on_what_they_import():
    from pathlib import Path

    nb = Path(__file__).parents[2] / "notebooks"
    train = module_closure((nb / "candidate.py").read_text())
    collect = module_closure((nb / "collect.py").read_text())
    assert "mlcycle.training.train" in train and "mlcycle.training.train" not in collect
    assert "mlcycle.data.generator" in collect and "mlcycle.data.generator" not in train
    assert "mlcycle.orchestration.dag" not in train  # build tooling edits rerun nothing
    assert inputs_digest(nb / "candidate.py") != inputs_digest(nb / "collect.py")


def test_external_imports_are_the_third_party_ones_in_functions_too():
    tree = ast.parse(
        textwrap.dedent("""
        import os, json
        import pandas as pd
        from . import sibling
        from mlcycle.config import load_dataset_config

        def later():
            import mlflow.models
            from sklearn.metrics import roc_auc_score
            import pandas
        """)
    )
    assert external_imports(tree) == ("pandas", "mlflow.models", "sklearn.metrics")
