"""What a report shows: figures that say what they are, no path of the build machine."""

from matplotlib.figure import Figure

from mlcycle.reporting.display import describe, show_figure, shown_path, shown_store


def test_a_figure_carries_alt_text_from_its_own_words():
    fig = Figure()
    ax = fig.subplots()
    ax.set(title="ROC curve", xlabel="False positive rate", ylabel="True positive rate")
    assert describe(fig) == "Chart: ROC curve (False positive rate against True positive rate)"
    png, metadata = show_figure(fig)._repr_png_()
    assert png.startswith(b"\x89PNG") and metadata == {"alt": describe(fig)}
    assert show_figure(fig, "given")._repr_png_()[1] == {"alt": "given"}


def test_paths_and_stores_show_relative_to_the_project_and_without_secrets(tmp_path):
    inside = tmp_path / "products" / "data" / "x.parquet"
    assert shown_path(inside, tmp_path) == "products/data/x.parquet"
    assert shown_path("/elsewhere/y.csv", tmp_path) == "y.csv"
    assert shown_path("s3://bucket/y.csv", tmp_path) == "s3://bucket/y.csv"
    assert shown_store(f"sqlite:///{tmp_path}/products/mlflow.db", tmp_path) == (
        "SQLite products/mlflow.db"
    )
    assert shown_store("postgresql://me:secret@db:5432/mlflow") == "postgresql://db:5432/mlflow"
    assert shown_store("https://mlflow.example.com/") == "https://mlflow.example.com/"
