"""Run one function in a child process that can really be stopped.

The generic half of the tools' sandbox: ``tools/sandbox.py`` runs each tool call in
it, and document text extraction (``files.documents.jobs``) runs in it.

Python cannot kill a thread, so a parser stuck in a C loop or a decompression bomb
would keep a thread and its memory forever; a child process is killed with SIGKILL at
the deadline, and its data segment is capped with ``RLIMIT_DATA`` so a bomb fails
with MemoryError inside the child.

Children are forked from multiprocessing's forkserver, one per process, started by
:func:`forkserver_ensure` with the ``SANDBOX_PRELOAD`` modules imported (the tools'
heavy libraries and Django): ``fork`` from a threaded server is unsafe and ``spawn``
pays the interpreter start on every call. Whoever asks first (a tool call or a text
extraction) starts it the same way, so every child finds Django set up.

The child sends back one message: ``("ok", value)``, ``("error", exception)`` for an
exception the caller expects (a subclass of one of ``expected``), or
``("crash", type, message, traceback)``.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import resource
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing import forkserver, spawn
from multiprocessing.connection import Connection
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)

JOIN_GRACE_S = 5.0
_context = multiprocessing.get_context("forkserver")
PARENT_MAIN_ENV = "CHATUI_TOOLS_PARENT_MAIN"  # read by tools.sandbox_boot
_start_lock = threading.Lock()
_started = False


class ChildTimeout(Exception):
    """The child ran past its deadline and was killed."""


class ChildDied(Exception):
    """The child ended without an answer: killed, out of memory, or a segfault."""


class ChildCrashed(Exception):
    """The child raised an exception nobody expected (its traceback is logged)."""

    def __init__(self, message: str, exc_type: str) -> None:
        super().__init__(message)
        self.exc_type = exc_type


@dataclass(frozen=True)
class ChildLimits:
    timeout_s: float
    max_memory_bytes: int = 0


def _child(
    conn: Connection,
    func: Callable[..., Any],
    args: tuple[Any, ...],
    limits: ChildLimits,
    expected: tuple[type[BaseException], ...],
) -> None:
    if limits.max_memory_bytes:
        # RLIMIT_DATA (heap and private mappings) rather than RLIMIT_AS: a forkserver
        # started with preloaded libraries already reserves address space it never uses.
        resource.setrlimit(resource.RLIMIT_DATA, (limits.max_memory_bytes, limits.max_memory_bytes))
    try:
        message: tuple = ("ok", func(*args))
    except expected as exc:
        message = ("error", exc)
    except BaseException as exc:  # any bug becomes a reported crash, traceback included
        message = crash_message(exc)
    send_message(conn, message)


def crash_message(exc: BaseException) -> tuple:
    """The message a child sends for an unexpected exception."""
    return ("crash", type(exc).__name__, str(exc)[:500], traceback.format_exc())


def send_message(conn: Connection, message: tuple) -> None:
    """Send the outcome; one that cannot be pickled is reported as a crash."""
    try:
        conn.send(message)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        conn.send(crash_message(exc))
    finally:
        conn.close()


def stop_child(process: multiprocessing.process.BaseProcess) -> None:
    """Kill the child if it still runs, and reap it."""
    if process.is_alive():
        process.kill()
    process.join(JOIN_GRACE_S)


def forkserver_ensure() -> None:
    """Start the forkserver with ``settings.SANDBOX_PRELOAD`` imported, once per process.

    Two details of Python 3.11's forkserver are handled here, through the
    environment the server starts with (read by the preload module):

    * it ignores the parent's ``sys.path`` for its preload imports, so the
      project root goes on ``PYTHONPATH`` (otherwise the preload silently fails
      and every call pays the imports);
    * every child re-runs the parent's main script as ``__mp_main__`` (for
      an ASGI server or pytest that imports the whole server, 100+ ms a call) unless
      ``__main__.__file__`` already names that script, so the boot module sets it.
    """
    global _started
    with _start_lock:
        if _started:
            forkserver.ensure_running()  # restarts it (without the preload fixes) if it died
            return
        _context.set_forkserver_preload(list(settings.SANDBOX_PRELOAD))
        main_path = spawn.get_preparation_data("sandbox").get("init_main_from_path", "")
        previous = os.environ.get("PYTHONPATH")
        root = str(settings.BASE_DIR)
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (root, previous) if p)
        os.environ[PARENT_MAIN_ENV] = main_path
        try:
            forkserver.ensure_running()
            _started = True
        finally:
            os.environ.pop(PARENT_MAIN_ENV, None)
            if previous is None:
                os.environ.pop("PYTHONPATH", None)
            else:
                os.environ["PYTHONPATH"] = previous


def run_in_child(
    func: Callable[..., Any],
    args: tuple[Any, ...],
    limits: ChildLimits,
    *,
    name: str,
    expected: tuple[type[BaseException], ...] = (),
) -> Any:
    """Call ``func(*args)`` in a forked child within ``limits`` and return its value.

    ``func`` and its arguments must be picklable (a module-level function). Raises
    ChildTimeout, ChildDied, ChildCrashed, or the child's own exception when it is
    one of ``expected``.
    """
    forkserver_ensure()
    receiver, sender = _context.Pipe(duplex=False)
    process = _context.Process(
        target=_child, args=(sender, func, args, limits, expected), name=name
    )
    try:
        process.start()
        sender.close()  # only the child writes; EOF then means the child is gone
        if not receiver.poll(limits.timeout_s):
            raise ChildTimeout(f"{name} took longer than {limits.timeout_s:g} s and was stopped.")
        try:
            message = receiver.recv()
        except EOFError:
            process.join(JOIN_GRACE_S)
            raise ChildDied(
                f"{name} stopped unexpectedly (exit code {process.exitcode})."
            ) from None
    finally:
        receiver.close()
        stop_child(process)
    return _unpack(name, message)


def _unpack(name: str, message: tuple) -> Any:
    kind = message[0]
    if kind == "ok":
        return message[1]
    if kind == "error":
        raise message[1]
    _kind, exc_type, text, child_traceback = message
    logger.error("child crashed name=%s error=%s\n%s", name, exc_type, child_traceback)
    raise ChildCrashed(f"{name} failed: {exc_type}: {text}", exc_type)
