"""``parley user`` and ``parley token`` through the ``parley`` entry point (``parley.cli.main``)
on a migrated SQLite file; the terminal prompt through a real pseudo-terminal."""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

from parley import cli
from parley.config import Config
from parley.service.accounts import AccountService
from parley.service.base import Deps
from parley.store import open_store
from tests.conftest import ROOT, TEST_SECRET

PASSWORD = "correct horse battery"


@pytest.fixture
def parley(sqlite_url, monkeypatch, capsys):
    monkeypatch.setenv("PARLEY_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("PARLEY_SECRET_KEY", TEST_SECRET)
    assert cli.main(["migrate"]) == 0
    capsys.readouterr()

    def run(*argv: str, stdin: str | None = None) -> tuple[int, str, str]:
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        try:
            code = cli.main(list(argv))
        except SystemExit as exc:  # argparse refusing an argument
            code = exc.code
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def _service(sqlite_url) -> AccountService:
    config = Config.from_env({"PARLEY_DATABASE_URL": sqlite_url, "PARLEY_SECRET_KEY": TEST_SECRET})
    return AccountService(Deps(open_store(sqlite_url), config, TEST_SECRET.encode()))


def test_user_create_with_password_stdin_and_sign_in(parley, sqlite_url):
    code, out, _ = parley("user", "create", "--email", "Mod@Example.org", "--role", "moderator", "--name", "Mo",
                          "--password-stdin", stdin=PASSWORD + "\n")
    assert code == 0 and "created moderator account 1: mod@example.org (Mo)" in out
    account, _ = _service(sqlite_url).login(email="mod@example.org", password=PASSWORD, client_addr="a")
    assert account.display_name == "Mo"
    code, out, _ = parley("user", "list")
    assert code == 0 and out == "1\tmod@example.org\tmoderator\tMo\tpassword\n"


@pytest.mark.parametrize(("argv", "stdin", "message"), [
    (["--role", "admin", "--name", "A", "--password-stdin"], "short\n", "at least 10 characters"),
    (["--role", "admin", "--name", "A", "--password-stdin"], "", "no password on standard input"),
    (["--role", "admin", "--name", "A", "--password-stdin"], "password123\n", "too easy to guess"),
    (["--role", "admin", "--name", "A"], "", "pipe it in with --password-stdin"),  # stdin is no terminal
    (["--role", "overlord", "--name", "A", "--password-stdin"], PASSWORD, "invalid choice"),
    (["--role", "admin", "--name", " ", "--password-stdin"], PASSWORD, "a display name is required"),
])
def test_user_create_refuses_bad_input(parley, argv, stdin, message):
    code, out, err = parley("user", "create", "--email", "a@example.org", *argv, stdin=stdin)
    assert code != 0 and message in err and out == ""
    assert parley("user", "list")[1] == ""


def test_a_taken_email_is_refused(parley):
    args = ("user", "create", "--email", "a@example.org", "--role", "staff", "--name", "A", "--password-stdin")
    assert parley(*args, stdin=PASSWORD)[0] == 0
    code, _, err = parley(*args, stdin=PASSWORD)
    assert code == 2 and "parley: error: an account with this email exists" in err


def test_reset_link_is_printed_and_works_once(parley, sqlite_url):
    parley("user", "create", "--email", "a@example.org", "--role", "staff", "--name", "A", "--password-stdin",
           stdin=PASSWORD)
    code, out, err = parley("user", "reset-link", "a@example.org", "--base-url", "https://comments.example.org/")
    assert code == 0 and "sends no mail" in err
    link = out.strip()
    assert link.startswith("https://comments.example.org/reset/")
    accounts = _service(sqlite_url)
    accounts.reset_password(token=link.rpartition("/")[2], password="a new passphrase", client_addr="a")
    accounts.login(email="a@example.org", password="a new passphrase", client_addr="a")
    code, _, err = parley("user", "reset-link", "nobody@example.org")
    assert code == 2 and "no account has this email" in err


def test_user_set_changes_role_and_disables(parley, sqlite_url):
    parley("user", "create", "--email", "a@example.org", "--role", "staff", "--name", "A", "--password-stdin",
           stdin=PASSWORD)
    assert parley("user", "set", "a@example.org", "--role", "moderator")[1] == "a@example.org: moderator\n"
    code, out, _ = parley("user", "set", "a@example.org", "--disable")
    assert code == 0 and "disabled" in out
    assert "(disabled)" in parley("user", "list")[1]
    assert parley("user", "set", "a@example.org")[0] == 2
    assert parley("user", "set", "a@example.org", "--enable")[0] == 0


def test_tokens_are_created_listed_and_revoked(parley, sqlite_url):
    code, out, err = parley("token", "create", "importer", "--role", "staff")
    secret = out.strip()
    assert code == 0 and secret.startswith("pk_") and "only time its secret is shown" in err
    actor = _service(sqlite_url).actor_for_token(secret)
    assert (actor.role.value, actor.name) == ("staff", "importer")  # the server's key: the same digest

    code, out, _ = parley("token", "list")
    assert code == 0 and out.startswith("importer\tstaff\tcreated ") and "live" in out and secret not in out
    assert parley("token", "create", "importer", "--role", "staff")[0] == 2  # the name is taken
    assert parley("token", "revoke", "importer") == (0, "revoked API token 'importer'\n", "")
    assert _service(sqlite_url).actor_for_token(secret) is None
    assert "revoked" in parley("token", "list")[1]
    code, _, err = parley("token", "revoke", "importer")
    assert code == 2 and "no live token has this name" in err
    code, _, err = parley("token", "create", "has space", "--role", "staff")
    assert code == 2 and "a token's name is" in err


def test_commands_refuse_an_unmigrated_database(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PARLEY_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    monkeypatch.setenv("PARLEY_SECRET_KEY", TEST_SECRET)
    assert cli.main(["token", "list"]) == 2
    assert "run `parley migrate`" in capsys.readouterr().err


# The real entry point, as `.venv/bin/parley user create ...` runs it.
CHILD = ("import sys; from parley.cli import main; "
         "sys.exit(main(['user', 'create', '--email', 't@example.org', '--role', 'admin', '--name', 'T']))")


def test_the_password_is_asked_twice_on_a_terminal(parley, sqlite_url):
    """A real process on a pseudo-terminal: the prompts, the typed password not echoed."""
    def converse(answers: list[str]) -> tuple[int, str]:
        with warnings.catch_warnings():
            # Python 3.12+ warns about forking a threaded process; the child execs at once.
            warnings.simplefilter("ignore", DeprecationWarning)
            pid, fd = pty.fork()
        if pid == 0:  # the child: a fresh `parley user create` with the pty as its terminal
            os.chdir(ROOT)
            env = {**os.environ, "PARLEY_DATABASE_URL": sqlite_url, "PARLEY_SECRET_KEY": TEST_SECRET}
            os.execve(sys.executable, [sys.executable, "-c", CHILD], env)
        seen, deadline = b"", time.monotonic() + 20
        answers = list(answers)
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(fd, 1024)
                except OSError:
                    break
                if not chunk:
                    break
                seen += chunk
                if seen.rstrip().endswith(b":") and answers:
                    time.sleep(0.2)  # as pexpect does: a prompt may show a moment before echo is off
                    os.write(fd, answers.pop(0).encode() + b"\n")
        done, status = os.waitpid(pid, os.WNOHANG)
        if not done:  # still waiting for input: the test fails below instead of hanging
            os.kill(pid, 9)
            _, status = os.waitpid(pid, 0)
        os.close(fd)
        return os.waitstatus_to_exitcode(status), seen.decode(errors="replace")

    code, seen = converse([PASSWORD, "a different one"])
    assert code == 2 and "the two passwords differ" in seen and PASSWORD not in seen
    code, seen = converse([PASSWORD, PASSWORD])
    assert code == 0, seen
    assert "Password (at least 10 characters):" in seen and "The same again:" in seen and PASSWORD not in seen
    _service(sqlite_url).login(email="t@example.org", password=PASSWORD, client_addr="a")


def test_the_installed_command_makes_a_moderator_who_can_sign_in(tmp_path):
    """`.venv/bin/parley user create --role moderator`, as the README says, in a process of its own."""
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    env = {**os.environ, "PARLEY_DATABASE_URL": url, "PARLEY_SECRET_KEY": TEST_SECRET}
    parley_bin = Path(sys.executable).with_name("parley")
    subprocess.run([str(parley_bin), "migrate"], env=env, check=True, capture_output=True, timeout=60)
    made = subprocess.run([str(parley_bin), "user", "create", "--email", "mo@example.org", "--role", "moderator",
                           "--name", "Mo Derator", "--password-stdin"], env=env, input=PASSWORD + "\n",
                          capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    account, _ = _service(url).login(email="mo@example.org", password=PASSWORD, client_addr="a")
    assert account.role.value == "moderator"
    weak = subprocess.run([str(parley_bin), "user", "create", "--email", "w@example.org", "--role", "moderator",
                           "--name", "W", "--password-stdin"], env=env, input="short\n", capture_output=True,
                          text=True, timeout=60)
    assert weak.returncode != 0 and "password" in weak.stderr
