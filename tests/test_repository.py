"""What git tracks: sources only, never products (data, models, executed notebooks, reports)."""

import re
import subprocess

from tests.conftest import PROJECT

PRODUCT = re.compile(r"(^|/)products[^/]*/|\.(db|parquet|ipynb|html|onnx|skops|pkl)$|(^|/)mlruns/")


def test_no_products_are_tracked():
    files = subprocess.run(
        ["git", "ls-files"], cwd=PROJECT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert files, "not a git checkout?"
    assert [f for f in files if PRODUCT.search(f)] == []


def test_products_folders_are_ignored():
    for path in ("products/mlflow.db", "products-test/x.parquet", "notebooks/select.ipynb"):
        ignored = subprocess.run(["git", "check-ignore", "-q", path], cwd=PROJECT)
        assert ignored.returncode == 0, f"{path} is not gitignored"
