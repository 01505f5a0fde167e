"""Load a registered model only from a format that cannot run code: skops, with this project's
own list of trusted types.

`mlflow.sklearn.load_model` follows the artifact's own `serialization_format` and the trusted
types its MLmodel file lists: a version logged as pickle (or as skops trusting anything) runs
its payload on load. Anyone who can write to a team registry could then run code on every
serving and scoring host. Here the format is read from the MLmodel file first and only skops
is accepted, and the types skops may build come from this module, never from the artifact.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

# What the project's families need beyond skops' defaults (tests/registry/test_trusted.py fits
# every family and checks its untrusted types are all here). Add a type only with a family.
TRUSTED_TYPES: tuple[str, ...] = (
    "numpy.dtype",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
    "sklearn.tree._tree.Tree",
)
SKOPS = "skops"


class UntrustedModelError(RuntimeError):
    """A registered model stored in a format or with types this project does not load."""


def _flavor(model_dir: Path, what: str) -> dict[str, Any]:
    mlmodel = model_dir / "MLmodel"
    if not mlmodel.is_file():
        raise UntrustedModelError(f"{what} has no MLmodel file: it is not an MLflow model")
    flavors = (yaml.safe_load(mlmodel.read_text()) or {}).get("flavors") or {}
    sklearn = flavors.get("sklearn")
    if not isinstance(sklearn, dict):
        raise UntrustedModelError(
            f"{what} is not a scikit-learn model (flavors: {', '.join(flavors) or 'none'}); "
            "only skops-serialised scikit-learn models are loaded"
        )
    return sklearn


def load_trusted(model_uri: str, what: str | None = None) -> Any:
    """The scikit-learn pipeline at `model_uri` (e.g. models:/churn/3), deserialised by skops
    with TRUSTED_TYPES only. UntrustedModelError, naming the model and the reason, for pickle,
    cloudpickle or a skops file that needs any other type; nothing of it is executed."""
    import mlflow
    import skops.io

    what = what or model_uri
    local = Path(mlflow.artifacts.download_artifacts(model_uri))
    flavor = _flavor(local, what)
    fmt = flavor.get("serialization_format") or "pickle"  # MLflow's default before skops
    if fmt != SKOPS:
        raise UntrustedModelError(
            f"{what} is stored as {fmt}, which runs code when loaded: only skops is loaded "
            "(log it again with serialization_format='skops')"
        )
    path = (local / str(flavor.get("pickled_model", ""))).resolve()
    if not path.is_file() or local.resolve() not in path.parents:
        raise UntrustedModelError(f"{what}: its skops file {path.name!r} is missing")
    untrusted = sorted(set(skops.io.get_untrusted_types(file=path)) - set(TRUSTED_TYPES))
    if untrusted:
        raise UntrustedModelError(
            f"{what} needs type(s) this project does not trust: {', '.join(untrusted)}"
        )
    return skops.io.load(path, trusted=list(TRUSTED_TYPES))
