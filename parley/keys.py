"""The server's secret key, which signs edit tokens and CSRF tokens.

Kept out of the database on purpose: a leaked database (a dump, a backup, a read-only
SQL hole) must not also give away the key that makes every edit token. The key is
PARLEY_SECRET_KEY when set, else the contents of PARLEY_SECRET_KEY_FILE, which the
first process to start creates.
"""

from __future__ import annotations

import os
import secrets
import time

MIN_KEY_CHARS = 32
_WAIT_FOR_WRITER = 2.0  # seconds a process waits for another to finish writing a new key file


def server_key(config) -> bytes:
    """The key as bytes: ``config.secret_key`` (at least 32 characters) when set, else the
    key file's contents, the file created (32 random bytes as hex, mode 0600) if missing.

    Processes starting together agree on one key: creating is ``O_CREAT | O_EXCL``, so one
    wins; the others read what it wrote, waiting briefly while the file is still empty or
    half written. Stops with SystemExit saying what to do when no key can be had."""
    if config.secret_key:
        if len(config.secret_key) < MIN_KEY_CHARS:
            raise SystemExit(f"PARLEY_SECRET_KEY has {len(config.secret_key)} characters; it needs at least "
                             f"{MIN_KEY_CHARS} (e.g. from `python -c 'import secrets; print(secrets.token_hex(32))'`)")
        return config.secret_key.encode()
    path = config.secret_key_file
    try:
        return _create(path)
    except FileExistsError:
        return _read(path)
    except OSError as exc:
        raise SystemExit(f"PARLEY_SECRET_KEY_FILE={path!r} cannot be created ({exc.strerror}); "
                         "make its directory writable, or set PARLEY_SECRET_KEY") from None


def _create(path: str) -> bytes:
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        data = f"{key}\n".encode()
        while data:
            data = data[os.write(fd, data):]
        os.fsync(fd)
    except OSError:
        os.unlink(path)  # no half-written key left for the next start to trip on
        raise
    finally:
        os.close(fd)
    return key.encode()


def _read(path: str) -> bytes:
    """The key in an existing file. A file another process is writing may be empty or lack
    its newline for a moment; one that stays so after a short wait is an error."""
    deadline = time.monotonic() + _WAIT_FOR_WRITER
    while True:
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError as exc:
            raise SystemExit(f"PARLEY_SECRET_KEY_FILE={path!r} cannot be read ({exc.strerror})") from None
        except UnicodeDecodeError:
            raise SystemExit(f"PARLEY_SECRET_KEY_FILE={path!r} is not text; delete it to have a new key made") from None
        key = text.strip()
        # Parley writes the key and a newline; a file an operator wrote may lack the newline,
        # which only costs it the wait.
        if len(key) >= MIN_KEY_CHARS and (text.endswith("\n") or time.monotonic() >= deadline):
            return key.encode()
        if time.monotonic() >= deadline:
            raise SystemExit(f"PARLEY_SECRET_KEY_FILE={path!r} holds no key (fewer than {MIN_KEY_CHARS} "
                             "characters): delete it to have a new key made, or write one into it")
        time.sleep(0.02)
