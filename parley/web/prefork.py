"""``parley serve --workers N`` for N above one: the models load once, in a parent
process, and the workers are forked from it.

uvicorn's own workers are spawned, fresh interpreters that each load every model again
(the issue measured two of them at 357-383 MiB). Forked after loading, the workers share
the parent's pages until one writes to them, and nothing writes to model weights: the
first stage's table, the middle stage's vectors and the MiniLM's weights stay one copy.
``gc.freeze`` before forking keeps the collector from touching (and so copying) the
objects the parent made.

The parent holds the listening socket, starts the workers, starts a worker again when
one dies, and on SIGTERM or SIGINT passes SIGTERM to every worker (each finishes its
requests, as uvicorn does) and waits for them.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import socket
import sys
import time
import traceback
from collections.abc import Callable

# A worker that dies this soon after it started counts towards giving up: a broken
# configuration would otherwise be forked again forever.
_EARLY_DEATH_S = 5.0
_EARLY_DEATHS_ALLOWED = 5


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound, listening TCP socket on ``host``:``port``, inherited by the workers."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        raise SystemExit(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def serve(run_worker: Callable[[socket.socket], None], sock: socket.socket, workers: int) -> int:
    """Fork ``workers`` processes that each call ``run_worker(sock)``; supervise them
    until a signal stops the parent. Returns the exit status for the parent."""
    gc.collect()
    gc.freeze()
    children: dict[int, float] = {}  # pid -> when it started
    stopping = False

    def start() -> None:
        pid = os.fork()
        if pid == 0:  # the worker
            status = 0
            try:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                run_worker(sock)
            except BaseException:  # noqa: BLE001 - a worker reports its own death, then exits
                traceback.print_exc()
                status = 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(status)
        children[pid] = time.monotonic()
        if stopping:  # the signal came while it was being forked: it missed the SIGTERM
            os.kill(pid, signal.SIGTERM)

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            with contextlib.suppress(ProcessLookupError):  # it died on its own meanwhile
                os.kill(pid, signal.SIGTERM)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    early, status = 0, 0
    try:
        for _ in range(workers):
            start()
        while children:
            try:
                pid, _ = os.wait()
            except ChildProcessError:
                break
            started = children.pop(pid, None)
            if started is None or stopping:
                continue
            early = early + 1 if time.monotonic() - started < _EARLY_DEATH_S else 0
            if early >= _EARLY_DEATHS_ALLOWED:
                print(f"parley serve: {early} workers in a row died within {_EARLY_DEATH_S:.0f} s of starting; "
                      "stopping", file=sys.stderr, flush=True)
                status = 1
                stop(signal.SIGTERM, None)
                continue
            print(f"parley serve: worker {pid} died; starting another", file=sys.stderr, flush=True)
            start()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sock.close()
    return status
