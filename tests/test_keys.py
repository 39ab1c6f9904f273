"""The server's key: PARLEY_SECRET_KEY, or a key file made once and shared by every
process that starts beside it. Real files in tmp_path, real processes."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
import time

import pytest

from parley import keys
from parley.config import Config
from parley.keys import server_key
from tests.conftest import ROOT


def _config(tmp_path, secret_key: str = "", name: str = "parley.secret") -> Config:
    return Config.from_env({}, secret_key=secret_key, secret_key_file=str(tmp_path / name))


def test_the_secret_key_setting_is_the_key_and_no_file_is_made(tmp_path):
    key = "k" * 32
    assert server_key(_config(tmp_path, key)) == key.encode()
    assert not (tmp_path / "parley.secret").exists()


def test_a_short_secret_key_stops_with_its_name(tmp_path):
    with pytest.raises(SystemExit, match="PARLEY_SECRET_KEY has 31 characters; it needs at least 32"):
        server_key(_config(tmp_path, "k" * 31))


def test_without_the_setting_a_key_file_is_made_once_readable_by_its_owner_only(tmp_path):
    first = server_key(_config(tmp_path))
    path = tmp_path / "parley.secret"
    assert len(first) == 64 and bytes.fromhex(first.decode())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == first.decode() + "\n"
    assert server_key(_config(tmp_path)) == first
    # Its contents work as PARLEY_SECRET_KEY: the way to give several instances one key.
    assert server_key(_config(tmp_path, first.decode(), name="unused")) == first


def test_processes_starting_together_agree_on_one_key(tmp_path):
    start_at = time.time() + 1.5
    script = ("import sys, time; from parley.config import Config; from parley.keys import server_key\n"
              f"time.sleep(max(0, {start_at} - time.time()))\n"
              f"print(server_key(Config.from_env({{}}, secret_key_file={str(tmp_path / 'parley.secret')!r})).decode())")
    runs = [subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
            for _ in range(6)]
    printed = {run.communicate(timeout=30)[0].strip() for run in runs}
    assert all(run.returncode == 0 for run in runs)
    assert printed == {(tmp_path / "parley.secret").read_text().strip()}


def test_a_file_still_being_written_is_waited_for(tmp_path):
    path = tmp_path / "parley.secret"
    key = "ab" * 32
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # as a process that has just won the race
    os.write(fd, key[:10].encode())

    def finish():
        time.sleep(0.3)
        os.write(fd, f"{key[10:]}\n".encode())
        os.close(fd)

    writer = threading.Thread(target=finish)
    writer.start()
    try:
        assert server_key(_config(tmp_path)) == key.encode()
    finally:
        writer.join()


def test_a_file_that_never_gets_a_key_stops_with_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setattr(keys, "_WAIT_FOR_WRITER", 0.2)
    (tmp_path / "parley.secret").write_text("")
    with pytest.raises(SystemExit, match="holds no key.*delete it"):
        server_key(_config(tmp_path))


def test_a_key_file_an_operator_wrote_without_a_newline_is_taken(tmp_path, monkeypatch):
    monkeypatch.setattr(keys, "_WAIT_FOR_WRITER", 0.2)
    (tmp_path / "parley.secret").write_text("operator-chosen key of some length")
    assert server_key(_config(tmp_path)) == b"operator-chosen key of some length"


def test_a_key_file_that_cannot_be_made_stops_with_what_to_do(tmp_path):
    with pytest.raises(SystemExit, match="PARLEY_SECRET_KEY_FILE=.*cannot be created.*set PARLEY_SECRET_KEY"):
        server_key(_config(tmp_path, name="missing-dir/parley.secret"))
