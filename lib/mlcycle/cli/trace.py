"""mlcycle trace REQUEST_ID: one prediction traced back to its origins.

The prediction-log row (when, for whom, the arm and why, the features as served, the outcome),
the experiment and its rollout moves, the model version and its promotion, the training run and
the data it learnt from (fingerprint, as_of window, source and rows, split), the git commit,
the feature service, and where the reports are.
"""

from __future__ import annotations

import argparse

from mlcycle.cli.common import UserError, add_env_options, settings_of


def main(argv: list[str] | None = None) -> int:
    from mlcycle.reporting.trace import TraceError, render, trace
    from mlcycle.tracking import connect

    parser = argparse.ArgumentParser(prog="mlcycle trace", description=__doc__.split("\n\n")[0])
    parser.add_argument("request_id", help="the request_id the service answered with")
    add_env_options(parser)
    args, rest = parser.parse_known_args(argv)
    settings = settings_of(args, rest)
    try:
        sections = trace(connect(settings.tracking_uri), settings.prediction_log,
                         args.request_id, settings.products / "reports")  # fmt: skip
    except TraceError as exc:
        raise UserError(str(exc)) from None
    print(render(sections))
    return 0
