"""What a task reads that Ploomber cannot see, reduced to one digest per task.

Ploomber reruns a task when its notebook, its params or an upstream product changed, but not
when the library code it imports changed (ploomber #111, #310) nor when a config file it reads
was edited in place. Passing this digest as a task param makes those changes visible: the
task reruns exactly when the code it imports (transitively, compared as syntax trees so
comment and formatting edits do not count) or the files it reads change.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
from collections.abc import Iterable
from pathlib import Path

PACKAGE = "mlcycle"


def _imported_modules(
    tree: ast.AST, current: str | None = None, package: str = PACKAGE
) -> set[str]:
    """Dotted names of the package's modules imported by `tree` (absolute and relative)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == package)
        elif isinstance(node, ast.ImportFrom):
            if node.level and current:  # relative import inside the package
                base = current.split(".")[: -node.level]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.split(".")[0] != package:
                continue
            found.add(module)
            # `from mlcycle.x import y` may name a submodule y
            found.update(f"{module}.{a.name}" for a in node.names)
    return found


def _module_file(name: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return None
    return Path(spec.origin)


def module_closure(source: str, package: str = PACKAGE) -> dict[str, Path]:
    """Every package module `source` imports, directly or through other package modules,
    plus the parent packages' __init__ files (they run on import)."""
    todo = _imported_modules(ast.parse(source), package=package)
    seen: dict[str, Path] = {}
    while todo:
        name = todo.pop()
        parts = name.split(".")
        for i in range(1, len(parts)):  # parent packages execute too
            todo.add(".".join(parts[:i]))
        if name in seen:
            continue
        path = _module_file(name)
        if path is None:  # an attribute imported with `from x import attr`, not a module
            continue
        seen[name] = path
        tree = ast.parse(path.read_text())
        todo |= _imported_modules(tree, current=name, package=package) - seen.keys()
    return seen


def code_digest(source: str, package: str = PACKAGE) -> str:
    h = hashlib.sha256()
    for name, path in sorted(module_closure(source, package).items()):
        h.update(name.encode())
        h.update(ast.dump(ast.parse(path.read_text())).encode())
    return h.hexdigest()[:16]


CONTENT_HASH_LIMIT = 64 * 2**20  # larger files count by size and modification time


def files_digest(paths: Iterable[str | Path]) -> str:
    """Content of local files (size and mtime for large ones, so a multi-GB table does not
    slow every build down); remote URIs and missing files contribute their name only."""
    h = hashlib.sha256()
    for p in paths:
        h.update(str(p).encode())
        path = Path(str(p))
        if "://" in str(p) or not path.is_file():
            continue
        stat = path.stat()
        if stat.st_size > CONTENT_HASH_LIMIT:
            h.update(f"{stat.st_size}:{stat.st_mtime_ns}".encode())
        else:
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def inputs_digest(notebook: str | Path, files: Iterable[str | Path] = ()) -> str:
    """One digest of the code a notebook imports and the files it reads."""
    code = code_digest(Path(notebook).read_text())
    return f"{code}-{files_digest(files)}"
