"""What every command shares: a port already taken is one line with the way out."""

import socket

import pytest

from mlcycle.cli.main import main


@pytest.mark.parametrize(
    "argv, how",
    [
        (["serve", "--env--port", "{port}"], "make serve PORT={next}"),
        (["ui", "--port", "{port}"], "make ui PORT={next}"),
        (["server", "--port", "{port}"], "make server PORT={next}"),
        (["lab", "--port", "{port}"], "make lab PORT={next}"),
    ],
)
def test_a_port_in_use_is_one_line_naming_another(argv, how, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = main([a.format(port=port) for a in argv])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert f"port {port} on 127.0.0.1 is already in use" in err
    assert how.format(next=port + 1) in err
