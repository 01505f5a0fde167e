"""Where an ONNX export lives: beside its model, in the run, with the verdict on the version."""

from __future__ import annotations

import tempfile
from pathlib import Path

from mlcycle.optimize.onnx_export import Export

ARTIFACT = "onnx/model.onnx"
TAG_PARITY, TAG_REASON = "onnx.parity", "onnx.reason"


def record_export(client, name: str, version: str, run_id: str, result: Export) -> dict:
    """Log the ONNX model and parity figures to the run; tag the version with the verdict."""
    from mlcycle.settings import refuse_shared_registry_writes

    refuse_shared_registry_writes(f"tagging {name} v{version} with its ONNX verdict")
    summary = {
        "model_name": name,
        "version": str(version),
        "served_with_onnx": result.usable,
        "reason": result.reason,
    }
    if result.onnx is not None:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / Path(ARTIFACT).name
            path.write_bytes(result.onnx)
            client.log_artifact(run_id, str(path), artifact_path=str(Path(ARTIFACT).parent))
        summary["onnx_bytes"] = len(result.onnx)
    if result.parity is not None:
        for key in ("max_abs_diff", "label_agreement"):
            client.log_metric(run_id, f"onnx_{key}", getattr(result.parity, key))
        summary |= {f"parity_{k}": v for k, v in result.parity.to_dict().items()}
    client.set_model_version_tag(
        name, str(version), TAG_PARITY, "passed" if result.usable else "failed"
    )
    client.set_model_version_tag(name, str(version), TAG_REASON, result.reason[:4000])
    return summary


def load_onnx(client, name: str, version: str) -> bytes | None:
    """The version's ONNX model if its parity passed, else None (serve scikit-learn)."""
    mv = client.get_model_version(name, str(version))
    if mv.tags.get(TAG_PARITY) != "passed" or not mv.run_id:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        local = client.download_artifacts(mv.run_id, ARTIFACT, tmp)
        return Path(local).read_bytes()
