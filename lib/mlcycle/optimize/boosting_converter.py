"""Make skl2onnx's histogram-gradient-boosting converters work with today's protobuf.

skl2onnx 1.20 writes a leaf's `nodes_missing_value_tracks_true` as a Python `False` among
integers; recent protobuf (7.36 here) refuses a boolean in an integer list ("Expected an int, got a
boolean"), so every HistGradientBoosting model failed to convert and was served by
scikit-learn (milliseconds a row instead of a tenth of one). The converters are wrapped so
that such lists reach ONNX as the 0s and 1s they mean; nothing else changes, and the export
is still parity-checked like any other.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

_done = False


def _ints_not_bools(convert: Callable) -> Callable:
    def converter(scope, operator, container):
        add_node = container.add_node

        def add(*args, **attrs):
            for key, value in attrs.items():
                if isinstance(value, list) and any(isinstance(v, (bool, np.bool_)) for v in value):
                    attrs[key] = [int(v) for v in value]
            return add_node(*args, **attrs)

        container.add_node = add  # this conversion's container only
        try:
            return convert(scope, operator, container)
        finally:
            del container.add_node

    return converter


def register() -> None:
    """Wrap the converters once per process (skl2onnx keeps them in a process-wide table)."""
    global _done
    if _done:
        return
    from skl2onnx import update_registered_converter
    from skl2onnx._supported_operators import sklearn_operator_name_map
    from skl2onnx.common._registration import _converter_pool, get_converter, get_shape_calculator
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    for model in (HistGradientBoostingClassifier, HistGradientBoostingRegressor):
        alias = sklearn_operator_name_map[model]
        update_registered_converter(
            model,
            alias,
            get_shape_calculator(alias),
            _ints_not_bools(get_converter(alias)),
            options=_converter_pool[alias].get_allowed_options(),
        )
    _done = True
