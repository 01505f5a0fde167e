"""Products are written whole, and readable where a published folder is copied."""

import os
import stat

from mlcycle.io import write_json, write_text_atomic


def test_products_get_the_mode_open_would_give_not_mkstemps(tmp_path):
    write_text_atomic(tmp_path / "page.html", "<p>hi</p>")
    write_json({"a": 1}, tmp_path / "x.json")
    mask = os.umask(0)
    os.umask(mask)
    for name in ("page.html", "x.json"):
        mode = stat.S_IMODE((tmp_path / name).stat().st_mode)
        assert mode == 0o666 & ~mask, oct(mode)
    assert (tmp_path / "page.html").read_text() == "<p>hi</p>"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
