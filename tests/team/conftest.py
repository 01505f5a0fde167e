"""MLflow tracking servers for real, on the private PostgreSQL cluster of tests/conftest.py."""

import dataclasses
import os
import uuid

import pytest

from mlcycle.serving.launch import free_port, running
from mlcycle.team.database import ensure_database
from mlcycle.team.server import server_command, server_environment


@pytest.fixture
def tracking_server(postgres, tmp_path):
    """`mlflow server` on a fresh database, artifacts proxied into tmp_path; yields its URL."""
    pg = dataclasses.replace(postgres, database=f"mlflow_{uuid.uuid4().hex[:8]}")
    assert ensure_database(pg) is True and ensure_database(pg) is False
    port = free_port()
    command = server_command(pg, "127.0.0.1", port, str(tmp_path / "artifacts"), workers=2)
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    env = server_environment(pg, os.environ)
    with running(command, f"{url}/health", log, env=env, timeout=180):
        yield url
