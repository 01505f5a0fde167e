"""A private PostgreSQL cluster on loopback and MLflow tracking servers on it, for real.

`.ci/run` (through `make system-deps`) installs Debian's postgresql where it is missing, so the
tests skip only where PostgreSQL truly cannot be found, and say so.
"""

import dataclasses
import glob
import os
import secrets
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

from mlcycle.serving.launch import free_port, running
from mlcycle.team.database import Postgres, ensure_database
from mlcycle.team.server import server_command


def pg_binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                      key=lambda p: int(Path(p).parts[-3]))  # fmt: skip
    return versions[-1] if versions else None


@pytest.fixture(scope="session")
def postgres():
    """A throwaway cluster (initdb) with a password-protected superuser, on a free port."""
    initdb, pg_ctl = pg_binary("initdb"), pg_binary("pg_ctl")
    if not (initdb and pg_ctl):
        pytest.skip("PostgreSQL is not installed (no initdb): `make system-deps` installs it")
    as_owner: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="mlcycle-pg-"))
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: run it as its own user
        as_owner = ["runuser", "-u", "postgres", "--"]
        shutil.chown(root, "postgres")
    password = secrets.token_urlsafe(16)
    pwfile = root / "pw"
    pwfile.write_text(password)
    if as_owner:
        shutil.chown(pwfile, "postgres")
    port = free_port()
    data = root / "data"
    subprocess.run([*as_owner, initdb, "-D", str(data), "-A", "scram-sha-256", "-U", "mlcycle",
                    f"--pwfile={pwfile}"], check=True, capture_output=True)  # fmt: skip
    start = [*as_owner, pg_ctl, "-D", str(data), "-l", str(root / "log"), "-w", "-o",
             f"-h 127.0.0.1 -p {port} -k {root}", "start"]  # fmt: skip
    subprocess.run(start, check=True, capture_output=True)
    try:
        yield Postgres("127.0.0.1", port, "mlcycle", password, "postgres")
    finally:
        subprocess.run([*as_owner, pg_ctl, "-D", str(data), "-m", "fast", "stop"],
                       capture_output=True)  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def tracking_server(postgres, tmp_path):
    """`mlflow server` on a fresh database, artifacts proxied into tmp_path; yields its URL."""
    pg = dataclasses.replace(postgres, database=f"mlflow_{uuid.uuid4().hex[:8]}")
    assert ensure_database(pg) is True and ensure_database(pg) is False
    port = free_port()
    command = server_command(pg, "127.0.0.1", port, str(tmp_path / "artifacts"), workers=2)
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    with running(command, f"{url}/health", log, env=pg.secret_env(), timeout=180):
        yield url
