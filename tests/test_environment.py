"""Process defaults of the entry points."""

import subprocess
import sys


def test_unused_optional_imports_are_skipped_and_notebooks_still_validate():
    code = (
        "from mlcycle.environment import skip_unused_optional_imports\n"
        "skip_unused_optional_imports()\n"
        "import sys, nbformat, jsonschema\n"
        "nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('1 + 1')])\n"
        "nbformat.validate(nb)\n"
        "print(sys.modules.get('rfc3987_syntax'))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "None"  # never imported, and nothing failed without it
