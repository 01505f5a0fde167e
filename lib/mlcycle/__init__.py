"""mlcycle: a Jupyter-first ML lifecycle. Importing it has no side effects."""

__version__ = "0.1.0"
