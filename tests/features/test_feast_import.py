"""Feast imported without typeguard's instrumentation of its own modules, and only those."""

import subprocess
import sys
import textwrap

INSTRUMENTED = "'typeguard' in feast.feature_view.FeatureView.__init__.__code__.co_names"


def run(code: str, folder) -> str:
    """`code` in a fresh interpreter (imports are per process), from a file: typeguard needs
    the source of what it instruments."""
    script = folder / "script.py"
    script.write_text(textwrap.dedent(code))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_feast_modules_are_not_instrumented_and_other_code_still_is(tmp_path):
    plain = run(f"import feast, feast.feature_view; print({INSTRUMENTED})", tmp_path)
    assert plain == "True"  # what typeguard does to feast by default (the cost avoided)
    ours = run(
        f"""
        from mlcycle.features.feast_import import import_feast
        feast = import_feast()
        import feast.feature_view
        import feast.infra.online_stores.sqlite as sqlite  # imported later: also unchecked
        print({INSTRUMENTED})
        print(any('typeguard' in f.__code__.co_names
                  for f in vars(sqlite.SqliteOnlineStore).values() if hasattr(f, '__code__')))
        from typeguard import TypeCheckError, typechecked

        @typechecked
        def double(x: int) -> int:
            return 2 * x

        try:
            double("a")
        except TypeCheckError:
            print("checked")
    """,
        tmp_path,
    )
    assert ours.splitlines() == ["False", "False", "checked"]


def test_definitions_still_build_and_apply(tmp_path, churn_config, tiny_data):
    from mlcycle.features.store import (
        apply_definitions,
        definitions,
        feature_tables,
        open_store,
    )

    tables = feature_tables(tiny_data.customers, tiny_data.events, churn_config)
    paths = {}
    for name, table in tables.items():
        paths[name] = tmp_path / f"{name}.parquet"
        table.to_parquet(paths[name])
    store = open_store(tmp_path, "feature_repo/feature_store.yaml")
    apply_definitions(store, definitions(churn_config, paths))
    assert {v.name for v in store.list_feature_views()} == {"profile", "activity"}
