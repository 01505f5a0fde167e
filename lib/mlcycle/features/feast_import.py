"""Import Feast without paying for typeguard's import-time instrumentation.

Feast decorates its definition classes (FeatureView, Field, Entity, the data sources, the
SQLite online store) with typeguard's `@typechecked`, which re-parses and recompiles the whole
module for every decorated function when the module is imported: about 70 % of `import feast`
(measured: ~4.4 s -> ~1.3 s without it), paid by every stage and process that touches the store.
typeguard documents the decorator as a no-op in optimised mode (`python -O`), meant for checks
that need not run in production; this takes that mode for Feast's own modules only. The
definitions this project builds come from the validated dataset config, and Feast still
validates them when they are applied.
"""

from __future__ import annotations

import functools
import sys
from types import ModuleType
from typing import Any


def _unchecked_for_feast(real: Any) -> Any:
    """typeguard's decorator, except that Feast's own functions and classes pass unchanged."""

    @functools.wraps(real)
    def typechecked(target: Any = None, **options: Any) -> Any:
        if target is None:
            return functools.partial(typechecked, **options)
        module = getattr(target, "__module__", None) or ""
        if module == "feast" or module.startswith("feast."):
            return target
        return real(target, **options)

    typechecked.mlcycle_unchecked_for_feast = True  # type: ignore[attr-defined]
    return typechecked


def import_feast() -> ModuleType:
    """`feast`, imported once per process with the decorator above in place (it stays, for
    the Feast modules imported later, such as the online stores)."""
    if "feast" in sys.modules:
        return sys.modules["feast"]
    import typeguard

    if not getattr(typeguard.typechecked, "mlcycle_unchecked_for_feast", False):
        typeguard.typechecked = _unchecked_for_feast(typeguard.typechecked)
    import feast

    return feast
