"""The settings layer: the only code that reads env.yaml, an env file, MLCYCLE_* environment
variables and command-line overrides, and the only place a default path is built.

Precedence, lowest first:

1. `env.yaml` beside pipeline.yaml: every key and its default (the one place defaults live);
2. an env file on top: the `env_file` argument (`--env-file`, `make ... ENV_FILE=`), else the
   `ENV_FILE` environment variable, so a notebook opened by hand honours it too;
3. `MLCYCLE_<KEY>` environment variables, one per key (`MLCYCLE_PRODUCTS`, `MLCYCLE_AB_ARMS`,
   ...), read as YAML values;
4. command-line overrides (`--env--KEY VALUE`, `KEY=VALUE`; nested keys as `a__b`).

`MLFLOW_TRACKING_URI`, when set, names the tracking store (as MLflow's own tools read it).
`{{here}}` in a value is the project folder. Every key is typed (`Settings`): an unknown key or a
wrong type is a SettingsError naming the key, where it came from and the closest valid key.
Derived paths are resolved once here: `tracking_uri` ('' = SQLite under the products folder),
`prediction_log` ('' = under the products folder), MLflow artifacts (under the products folder).
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from mlcycle.project import find_project

ENV_PREFIX = "MLCYCLE_"
# how a SQLite prediction log commits, as SQLite's `synchronous` pragma (in WAL mode)
LOG_SYNC_MODES = ("full", "normal")
DURABLE_LOG_SYNC = "full"  # every commit on disk: what code gets unless a setting says
SECRET_KEYS = ("reload_token",)  # environment only (MLCYCLE_RELOAD_TOKEN): never in a file


def local_store_uri(products: str | Path) -> str:
    """The embedded tracking store of a products folder (when no server is named)."""
    return f"sqlite:///{Path(products).resolve() / 'mlflow.db'}"


# a stage notebook run by hand writes to a copy of the build's store (mlcycle.orchestration.
# sandbox): these name the build's store and the copy, for every MLflow connection it makes
SANDBOX_STORE_FROM, SANDBOX_STORE_TO = "MLCYCLE_SANDBOX_STORE_FROM", "MLCYCLE_SANDBOX_STORE_TO"
SANDBOX_DIR_ENV = "MLCYCLE_SANDBOX_DIR"  # set while a stage run by hand writes to the sandbox


def sandbox_dir() -> Path | None:
    """The sandbox this process writes to, when it is a stage run by hand (else None)."""
    found = os.environ.get(SANDBOX_DIR_ENV)
    return Path(found) if found else None


class SandboxRefused(RuntimeError):
    """A stage run by hand would change a shared registry, which the sandbox cannot copy."""


def refuse_shared_registry_writes(what: str) -> None:
    """In a stage run by hand on a tracking server (only a local store is copied into the
    sandbox), refuse to change the team's registry."""
    if sandbox_dir() is not None and not os.environ.get(SANDBOX_STORE_FROM):
        raise SandboxRefused(
            f"{what} would change the team's tracking server from a stage run by hand (the "
            "sandbox copies only a local store): set sandbox: false (MLCYCLE_SANDBOX=false) "
            "to do it on purpose"
        )


def sandboxed_store(uri: str) -> str:
    """The store this process writes to for `uri`: the sandbox's copy in a stage run by hand,
    else `uri` itself."""
    if uri and os.environ.get(SANDBOX_STORE_FROM) == uri:
        return os.environ.get(SANDBOX_STORE_TO) or uri
    return uri


def monitoring_experiment(model_name: str) -> str:
    """The MLflow experiment that holds a model's monitoring decisions and rollout moves."""
    return f"{model_name}-monitoring"


def artifacts_under(products: str | Path) -> Path:
    """Where a local tracking store keeps run artifacts: under products, never the cwd."""
    return Path(products).resolve() / "mlartifacts"


# a time as YAML reads it (an unquoted 2026-07-07 is a date) or as text; None = ''
TimeText = Annotated[str, BeforeValidator(lambda v: "" if v is None else str(v))]


class SettingsError(ValueError):
    """A setting is unknown or of the wrong type (the message names it and its origin)."""


class Settings(BaseModel):
    """Every setting of a build and of the commands around it. Defaults live in env.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    project: Path = Field(description="the folder that holds pipeline.yaml")
    products: Path = Field(description="everything a build writes")
    dataset: Path = Field(description="the dataset config")
    experiment: str = Field(description="MLflow experiment; '' = the dataset's name")
    tracking_uri: str = Field(
        description="MLflow store; '' = $MLFLOW_TRACKING_URI, else SQLite under products"
    )
    n_customers: int = Field(description="built-in generator: customers")
    snapshot_date: TimeText = Field(description="built-in generator: snapshot date")
    seed: int = Field(description="seed of every random choice")
    drift_shift: float = Field(ge=0, le=1, description="built-in generator: distribution shift")
    drift_new_category: float = Field(ge=0, le=1, description="share with an unseen category")
    drift_relationship: float = Field(ge=0, le=1, description="change of what drives the target")
    max_rows: int | None = Field(description="sample a user's table down to this many rows")
    as_of: TimeText = Field(description="rows up to this time; '' = the data's newest")
    train_window_days: int | None = Field(gt=0, description="train on this many days to as_of")
    production_labels: bool = Field(description="also train on the log's labelled predictions")
    weekly_customers: int = Field(ge=0, description="generator: new customers each week")
    drift_from_week: int = Field(ge=0, description="generator: drift from this week; 0 = all")
    feature_store: Path = Field(description="Feast's feature_store.yaml")
    feature_ttl_days: int = Field(gt=0, description="how old a served feature value may be")
    test_size: float = Field(gt=0, lt=1, description="test split, a fraction of all rows")
    valid_size: float = Field(gt=0, lt=1, description="validation split, a fraction of all rows")
    model_grid: list[dict[str, Any]] = Field(description="the candidates: families x params")
    selection_metric: str = Field(
        description="validation metric that picks the candidate; auto = the task's"
    )
    gate_metric: str = Field(description="test metric of the quality gate; auto = the task's")
    gate_threshold: float | None = Field(
        description="the gate's passing value (at most for an error); null = the task's"
    )
    promotion_metric: str = Field(
        description="metric a challenger must beat the champion on; auto = the task's"
    )
    min_improvement: float = Field(description="by at least this much")
    promotion: Literal["rollout", "direct", "review"] = Field(
        description="a winning challenger: rolled out, promoted now, or left for review"
    )
    onnx_max_diff: float = Field(ge=0, description="largest |p_onnx - p_sklearn| allowed")
    onnx_min_agreement: float = Field(ge=0, le=1, description="share of identical predictions")
    quantize_mlp: bool = Field(description="optimize also shows int8 quantization")
    n_scoring: int = Field(gt=0, description="rows in the built-in scoring set")
    batch_alias: str = Field(description="registry alias that scores in batch")
    batch_size: int = Field(gt=0, description="rows per streamed batch")
    scoring_drift: list[float] = Field(description="the scoring set's drift: shift, new, rel.")
    monitor_window: str = Field(description="this week's production rows; '' = the scoring set")
    prediction_log: str = Field(
        description="the service's log: a file ('' = under products) or postgresql://…"
    )
    log_sync: Literal[LOG_SYNC_MODES] = Field(  # type: ignore[valid-type]
        description="a SQLite log's commit: full = on disk; normal = survives the service's crash"
    )
    drift_share_threshold: float = Field(ge=0, le=1, description="share of drifted columns")
    max_drift_rows: int = Field(gt=0, description="larger windows are sampled")
    retrain_policy: dict[str, Any] = Field(description="when to retrain (any trigger)")
    ab_ramp: list[int] = Field(description="a challenger's share of traffic, step by step")
    ab_arms: str = Field(description="'' = the registry's rollout; else a pinned split")
    ab_key: str = Field(description="experiment key of a pinned split: a new key reshuffles")
    ab_alpha: float = Field(gt=0, lt=1, description="significance level of the A/B test")
    ab_min_labelled: int = Field(ge=0, description="labelled predictions per arm for a verdict")
    ab_min_effect: float = Field(gt=0, lt=1, description="smallest accuracy difference to detect")
    ab_power: float = Field(gt=0, lt=1, description="power of the test at that difference")
    host: str = Field(description="address the service and servers bind to")
    port: int = Field(description="the service's port")
    workers: int = Field(gt=0, description="the service's worker processes (make serve WORKERS=)")
    max_batch: int = Field(gt=0, description="largest /predict/batch")
    max_body_bytes: int = Field(gt=0, description="largest request body")
    reload_seconds: float = Field(ge=0, description="registry polling period; 0 = off")
    accuracy_window_hours: float = Field(gt=0, description="window of the accuracy gauge")
    model_name: str = Field(description="registered model served; '' = the dataset's name")
    sandbox: bool = Field(
        description="a stage run by hand writes to <products>/sandbox, never the build's"
    )
    preload_kernels: bool = Field(
        description="a build forks stage kernels from one process with the imports done"
    )
    reload_token: str | None = Field(
        None, description="/reload needs it when set; required beyond loopback"
    )

    @property
    def artifacts(self) -> Path:
        return artifacts_under(self.products)

    @property
    def server_artifacts(self) -> Path:
        """Where `mlcycle server` keeps artifacts unless told otherwise."""
        return self.products / "mlflow-server" / "artifacts"

    @property
    def production_log(self) -> str:
        """The prediction log training reads: only with `production_labels` on, so a build
        that does not learn from it does not rerun each time the service writes to it."""
        return str(self.prediction_log) if self.production_labels else ""

    def env_values(self) -> dict[str, Any]:
        """The values a build's placeholders ({{key}}) take: every key, paths as text, and
        `production_log`, derived."""
        out = self.model_dump(exclude={"project", "reload_token"})
        out["production_log"] = self.production_log
        return {k: str(v) if isinstance(v, Path) else v for k, v in out.items()}


def parse_overrides(pairs: list[str]) -> dict[str, str]:
    """['--env--key', 'value', ...] or ['key=value', ...] -> {'key': 'value'}."""
    out: dict[str, str] = {}
    it = iter(pairs)
    for token in it:
        if token.startswith("--env--"):
            key = token.removeprefix("--env--")
            if "=" in key:
                key, value = key.split("=", 1)
            else:
                try:
                    value = next(it)
                except StopIteration:
                    raise SettingsError(f"{token} needs a value") from None
        elif "=" in token:
            key, value = token.split("=", 1)
        else:
            raise SettingsError(f"expected --env--KEY VALUE or KEY=VALUE, got {token!r}")
        out[key.replace("--", "__")] = value
    return out


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise SettingsError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise SettingsError(f"{path}: expected a mapping of settings")
    return data


def _unknown(key: str, origin: str, known: list[str]) -> SettingsError:
    near = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    hint = (
        f"; did you mean '{near[0]}'?"
        if near
        else ": the settings are the keys of env.yaml (listed in docs/configuration.md)"
    )
    return SettingsError(f"unknown setting '{key}' in {origin}{hint}")


def _set(values: dict[str, Any], key: str, value: Any, origin: str) -> None:
    top, *rest = key.split("__")
    if top not in values and top not in SECRET_KEYS:
        raise _unknown(top, origin, sorted(values))
    if not rest:
        values[top] = value
        return
    node = values[top]
    for part in rest[:-1]:
        node = node.setdefault(part, {})
    if not isinstance(node, dict):
        raise SettingsError(f"setting '{key}' in {origin}: '{top}' has no sub-keys")
    node[rest[-1]] = value


def _env_file(
    project: Path, env_file: str | Path | None, environ: Mapping[str, str]
) -> Path | None:
    chosen = env_file or environ.get("ENV_FILE") or None
    if not chosen:
        return None
    path = Path(chosen)
    if not path.is_absolute() and not path.exists():
        path = project / path
    if not path.is_file():
        raise SettingsError(f"env file not found: {chosen}")
    return path


def _here(value: Any, project: Path) -> Any:
    if isinstance(value, str):
        return value.replace("{{here}}", str(project)).replace("{{root}}", str(project))
    if isinstance(value, list):
        return [_here(v, project) for v in value]
    if isinstance(value, dict):
        return {k: _here(v, project) for k, v in value.items()}
    return value


def _no_secrets(values: Mapping[str, Any], path: Path) -> None:
    for key in SECRET_KEYS:
        if key in values:
            variable = f"{ENV_PREFIX}{key.upper()}"
            raise SettingsError(f"{path}: '{key}' is a secret: set {variable} instead")


def _yaml_value(text: str) -> Any:
    """A value from the command line or the environment, read as YAML ('0.9' -> 0.9)."""
    try:
        return yaml.safe_load(text) if text.strip() else text
    except yaml.YAMLError:
        return text


def load_settings(
    project: str | Path | None = None,
    env_file: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """The settings by the precedence in this module's docstring."""
    environ = os.environ if environ is None else environ
    root = find_project(project)
    values = _read_yaml(root / "env.yaml")
    _no_secrets(values, root / "env.yaml")
    origins = dict.fromkeys(values, str(root / "env.yaml"))  # where each key's value came from
    chosen = _env_file(root, env_file, environ)
    if chosen is not None:
        extra = _read_yaml(chosen)
        _no_secrets(extra, chosen)
        for key, value in extra.items():
            _set(values, key, value, str(chosen))
            origins[key.split("__")[0]] = str(chosen)
    for name, text in environ.items():
        key = name.removeprefix(ENV_PREFIX).lower()
        if name.startswith(ENV_PREFIX) and (key in values or key in SECRET_KEYS):
            values[key] = text if key in SECRET_KEYS else _yaml_value(text)
            origins[key] = f"${name}"
    for key, value in (overrides or {}).items():
        _set(values, key, _yaml_value(value) if isinstance(value, str) else value, "--env")
        origins[key.split("__")[0]] = f"--env--{key}"
    values = _here(values, root)
    products = Path(str(values["products"])).resolve()
    uri = environ.get("MLFLOW_TRACKING_URI") or values.get("tracking_uri") or ""
    values.update(
        project=root,
        products=products,
        tracking_uri=uri or local_store_uri(products),
        prediction_log=str(values.get("prediction_log") or products / "serving" / "predictions.db"),
    )
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        files = f"{root / 'env.yaml'}" + (f" + {chosen}" if chosen else "")
        problems = [_describe(e, origins.get(str(e["loc"][0]), files)) for e in exc.errors()]
        raise SettingsError("; ".join(problems)) from None


def _describe(error: dict[str, Any], origin: str) -> str:
    key = ".".join(str(p) for p in error["loc"])
    if error["type"] == "extra_forbidden":
        return str(_unknown(key, origin, list(Settings.model_fields)))
    if error["type"] == "missing":
        return f"setting '{key}' is missing from {origin}"
    return f"setting '{key}': {error['msg']} (got {error.get('input')!r}; from {origin})"
