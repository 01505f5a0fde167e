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
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.machinery import PathFinder
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
    """The source file of module `name`, found without importing anything.

    `importlib.util.find_spec("a.b.c")` imports `a.b` to look inside it, and with it whatever
    that package imports (scikit-learn, mlflow): seconds per build. The path finders look at
    the file system only, one package level at a time.
    """
    parts = name.split(".")
    spec = PathFinder.find_spec(parts[0])
    if spec is None:  # not on sys.path (an import hook, e.g. some editable installs)
        try:
            spec = importlib.util.find_spec(parts[0])
        except (ImportError, ValueError):
            return None
    for i in range(1, len(parts)):
        if spec is None or spec.submodule_search_locations is None:
            return None  # a module, not a package: the rest of the name is an attribute
        spec = PathFinder.find_spec(".".join(parts[: i + 1]), spec.submodule_search_locations)
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return None
    return Path(spec.origin)


def external_imports(tree: ast.AST, package: str = PACKAGE) -> tuple[str, ...]:
    """Modules outside the standard library and the package that `tree` imports anywhere
    (inside functions too), in order of appearance."""
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.append(node.module)
    local = {package, "__future__", *sys.stdlib_module_names}
    return tuple(dict.fromkeys(n for n in names if n.split(".")[0] not in local))


@dataclass(frozen=True)
class _Parsed:
    tree_digest: str  # of the syntax tree: comment and formatting edits do not count
    imports: frozenset[str]  # the package's modules it imports
    external: tuple[str, ...]  # the other modules it imports (kernels.preload_plan)


_parsed_cache: dict[tuple[str, str, int, int], _Parsed] = {}


_RACY_NS = 2 * 10**9  # a file changed this recently may change again within the same mtime


def _parse(path: Path, name: str, package: str) -> _Parsed:
    """A module's imports and syntax-tree digest, parsed once per file version and process.

    A version is (size, mtime); as git does for "racy" files, one modified in the last two
    seconds is parsed every time, since a same-size edit could keep its mtime.
    """
    stat = path.stat()
    key = (str(path), name, stat.st_size, stat.st_mtime_ns)
    if key in _parsed_cache:
        return _parsed_cache[key]
    tree = ast.parse(path.read_bytes())
    parsed = _Parsed(
        hashlib.sha256(ast.dump(tree).encode()).hexdigest(),
        frozenset(_imported_modules(tree, current=name, package=package)),
        external_imports(tree, package),
    )
    if time.time_ns() - stat.st_mtime_ns > _RACY_NS:
        _parsed_cache[key] = parsed
    return parsed


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
        todo |= _parse(path, name, package).imports - seen.keys()
    return seen


def module_external_imports(name: str, path: Path, package: str = PACKAGE) -> tuple[str, ...]:
    """external_imports of a package module (from the per-build parse cache)."""
    return _parse(path, name, package).external


def code_digest(source: str, package: str = PACKAGE) -> str:
    h = hashlib.sha256()
    for name, path in sorted(module_closure(source, package).items()):
        h.update(name.encode())
        h.update(_parse(path, name, package).tree_digest.encode())
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
