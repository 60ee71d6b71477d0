"""Scoring videos in worker processes while the main process generates.

``workers=0`` scores inline. ``workers=N`` starts N spawned processes (spawn, not
fork: a forked child of a process that already ran torch's OpenMP pool can hang),
each loading the same metrics once; the main process stays the only writer of the
store, so per-item atomicity is unchanged. At most ``2 N`` videos are in flight.

Workers never outlive the main process: on Linux the kernel kills a worker when its
parent dies (``PR_SET_PDEATHSIG``), and on every platform a watchdog thread in the
worker exits when its parent is gone -- so a SIGKILL of ``vbench-lite`` leaves no
orphans. Workers are started with SIGINT blocked (the mask survives exec) and ignore
it once they run: Ctrl-C reaches the main process only, which stops the workers
(SIGTERM: no Python code, no traceback, in a worker), says how to resume and exits
130. A Ctrl-C that arrives while the main process starts a worker is held back until
the worker is started and registered, never lost.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from contextlib import contextmanager
from typing import Any, Callable

_WORKER_METRICS = None
PARENT_POLL_SECONDS = 0.5  # how often a worker's watchdog checks that its parent lives


def _die_with_parent(parent_pid: int) -> None:
    """Make this worker end when ``parent_pid`` does: the kernel's parent-death
    signal where there is one (Linux), and a watchdog thread everywhere."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # not Linux: the watchdog below does it
    if os.getppid() != parent_pid:  # the parent died before the signal was armed
        os._exit(1)

    def watchdog():
        while os.getppid() == parent_pid:
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(1)

    threading.Thread(target=watchdog, name="vbench-lite-parent-watchdog", daemon=True).start()


def worker_cv2_threads(workers: int) -> int:
    """OpenCV threads for each of ``workers`` processes: the cores shared out, at least
    one. OpenCV's own default (all cores in every worker) oversubscribes: measured on
    2 cores, 2 workers with 2 threads each scored 20 % slower than with 1 each."""
    return max(1, (os.cpu_count() or 1) // max(1, workers))


def set_cv2_threads(workers: int) -> None:
    try:
        import cv2
    except ImportError:
        return
    cv2.setNumThreads(worker_cv2_threads(workers))


def _init_worker(names: list[str], options: dict, parent_pid: int | None = None, workers: int = 1) -> None:
    global _WORKER_METRICS
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    if hasattr(signal, "pthread_sigmask"):  # blocked since start-up (_sigint_deferred); now ignored instead
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    if parent_pid is not None:
        _die_with_parent(parent_pid)
    # N workers share the cores; no oversubscription. torch only if a metric imported it:
    # importing it here cost every worker ~0.4 GB of RSS even for metrics that never use
    # it; one that imports it later starts with the thread count the environment sets
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    set_cv2_threads(workers)
    from vbench_lite.metrics import load_metrics

    _WORKER_METRICS, _ = load_metrics(names, options)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)


@contextmanager
def _sigint_deferred():
    """Run the body (which may start a worker) with SIGINT blocked and a Ctrl-C held back.

    A started child inherits the blocked mask across exec, so it cannot see Ctrl-C
    while it imports, before any code of ours runs in it. The parent must not be
    interrupted half-way either (a child half sent its start-up message prints *its*
    traceback; a child started but not registered with the pool steals another's
    stop message); the mask alone does not do that, since another thread of the
    parent may take the signal, so a recording handler stands in, and the signal is
    raised again, under the previous handler, after the body."""
    caught: list[int] = []
    in_main = threading.current_thread() is threading.main_thread()
    handler = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum)) if in_main else None
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}) if hasattr(signal, "pthread_sigmask") else None
    try:
        yield
    finally:
        if mask is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # a pending Ctrl-C lands in `caught` now
        if in_main:  # (None: a handler set outside Python; the default is the nearest)
            signal.signal(signal.SIGINT, signal.SIG_DFL if handler is None else handler)
    if caught:
        signal.raise_signal(signal.SIGINT)  # as if it came now: KeyboardInterrupt under Python's handler


def _score_in_worker(source, case):
    from vbench_lite.runners.scoring import score_item

    return score_item(source, case, _WORKER_METRICS)


class Scorer:
    """``submit(source, case, done)`` reads (a ``VideoFile``: in the worker), checks and
    scores ``source`` and later calls ``done(outcome)`` (a ``scoring.ItemOutcome``)
    from the main thread during ``poll()`` / ``close()``. A video file travels to a
    worker as its path, never as frames."""

    def __init__(self, metrics: list, options: dict, workers: int = 0):
        self.metrics = metrics
        self.workers = workers
        self.pool = None
        self.pending: list[tuple[Any, Callable]] = []
        if workers > 0 and metrics:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor

            self.pool = ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"), initializer=_init_worker,
                                            initargs=([m.name for m in metrics], options, os.getpid(), workers))

    def submit(self, source, case, done: Callable) -> None:
        if self.pool is None:
            from vbench_lite.runners.scoring import score_item

            done(score_item(source, case, self.metrics))
            return
        with _sigint_deferred():  # submit starts the workers, one per call, until there are N
            future = self.pool.submit(_score_in_worker, source, case)
        self.pending.append((future, done))
        while len(self.pending) > 2 * self.workers:
            self._complete_first()
        self.poll()

    def poll(self) -> None:
        while self.pending and self.pending[0][0].done():
            self._complete_first()

    def _complete_first(self) -> None:
        future, done = self.pending.pop(0)
        done(future.result())

    def close(self, *, wait: bool = True) -> None:
        """Finish every pending video (``wait``), or -- interrupted or failed -- drop
        them and stop the workers at once."""
        try:
            while wait and self.pending:
                self._complete_first()
        finally:
            if self.pool is not None:
                if not wait:  # SIGTERM ends a worker without running Python code: no traceback
                    for proc in list((getattr(self.pool, "_processes", None) or {}).values()):
                        proc.terminate()
                # always joined: the pool's thread must be gone before interpreter exit, whose
                # hook would otherwise write to the pipe of a pool broken by the SIGTERM
                self.pool.shutdown(wait=True, cancel_futures=not wait)
