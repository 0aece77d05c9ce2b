"""The Whoosh index writer in a child process of its own, so indexing does not hold the node's GIL.

Indexing a status costs a fifth of a millisecond of pure-Python CPU; in a thread of the node's process it
competes for the GIL with request handling and the database thread. The child owns every write (add,
delete, commit, clear); the node keeps reading the same folders with its own searchers, which Whoosh
supports across processes (a commit is a new table-of-contents generation on disk). Documents go over a
pipe as plain picklable objects. The child is forked from the node when the first write comes (a few
milliseconds, Whoosh is already imported; a fork server or spawn would re-run the main script of whatever
started the node, which breaks scripts without a `__main__` guard). It runs only Whoosh and the pipe, never
the node's loop, database or sockets it inherited, and exits when the node's end of the pipe closes, so a
node that dies leaves no writer behind. Crash safety is unchanged: the journal keeps every
piece of work until the child has answered that it committed it.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any


def _serve(folder: str, connection: Connection) -> None:
    """The child's loop: run each (method, args) on its own WhooshBackend and answer (ok, value)."""
    from .whoosh_backend import WhooshBackend

    # Let go of every descriptor inherited from the node (its sockets, database, other children's pipes):
    # holding them would keep a peer waiting for an end-of-file that never comes.
    keep = connection.fileno()
    os.closerange(3, keep)
    os.closerange(keep + 1, os.sysconf("SC_OPEN_MAX"))

    backend = WhooshBackend(Path(folder))
    while True:
        try:
            method, args = connection.recv()
        except (EOFError, OSError):
            break
        try:
            if method == "open_all":
                backend.open_all()
                value: Any = set(backend.fresh)
            else:
                value = getattr(backend, method)(*args)
            answer: tuple[bool, Any] = (True, value)
        except Exception as exc:  # noqa: BLE001 - raised again in the node, in the caller of `call`
            answer = (False, exc)
        try:
            connection.send(answer)
        except (BrokenPipeError, ConnectionResetError, EOFError):
            break  # the node is gone (killed): nobody to answer, nothing to report
        except Exception:  # noqa: BLE001 - an exception that does not pickle still reaches the node as text
            try:
                connection.send((False, RuntimeError(repr(answer[1]))))
            except OSError:
                break
        if method == "close":
            break
    backend.close()


class WriterProcess:
    """A handle on the child: `call(method, *args)` runs a WhooshBackend write method there and returns its
    result (or raises its exception). Started on the first call; calls are serialised."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._connection: Connection | None = None
        self._process: Any = None

    def _start(self) -> Connection:
        context = multiprocessing.get_context("fork")
        ours, theirs = context.Pipe()
        process = context.Process(target=_serve, args=(str(self.folder), theirs), name="search-writer", daemon=True)
        process.start()
        theirs.close()
        self._connection, self._process = ours, process
        return ours

    def call(self, method: str, *args: Any) -> Any:
        with self._lock:
            connection = self._connection or self._start()
            connection.send((method, args))
            try:
                ok, value = connection.recv()
            except EOFError as exc:
                self._connection = None
                raise RuntimeError(f"the search writer process ended during {method}") from exc
        if not ok:
            raise value
        return value

    def close(self) -> None:
        with self._lock:
            connection, process = self._connection, self._process
            self._connection = self._process = None
            if connection is None:
                return
            try:
                connection.send(("close", ()))
                connection.recv()
            except (EOFError, OSError):
                pass
            connection.close()
            process.join(10)
            if process.is_alive():
                process.kill()
                process.join()
