"""Scoring videos in worker processes while the main process generates.

``workers=0`` scores inline. ``workers=N`` starts N spawned processes (spawn, not
fork: a forked child of a process that already ran torch's OpenMP pool can hang),
each loading the same metrics once; the main process stays the only writer of the
store, so per-item atomicity is unchanged. At most ``2 N`` videos are in flight.
"""

from __future__ import annotations

import time
from typing import Any, Callable

_WORKER_METRICS = None


def _init_worker(names: list[str], options: dict) -> None:
    global _WORKER_METRICS
    try:
        import torch

        torch.set_num_threads(1)  # N workers share the cores; no oversubscription
    except ImportError:
        pass
    from vbench_lite.metrics import load_metrics

    _WORKER_METRICS, _ = load_metrics(names, options)


def _score_in_worker(video, case):
    from vbench_lite.runners.scoring import score_video

    t0 = time.perf_counter()
    result = score_video(video, case, _WORKER_METRICS)
    return result, time.perf_counter() - t0


class Scorer:
    """``submit(video, case, done)`` scores and later calls ``done(result, seconds)``
    from the main thread during ``poll()`` / ``close()``."""

    def __init__(self, metrics: list, options: dict, workers: int = 0):
        self.metrics = metrics
        self.workers = workers
        self.pool = None
        self.pending: list[tuple[Any, Callable]] = []
        if workers > 0 and metrics:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor

            self.pool = ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"), initializer=_init_worker,
                                            initargs=([m.name for m in metrics], options))

    def submit(self, video, case, done: Callable) -> None:
        if self.pool is None:
            from vbench_lite.runners.scoring import score_video

            t0 = time.perf_counter()
            result = score_video(video, case, self.metrics)
            done(result, time.perf_counter() - t0)
            return
        self.pending.append((self.pool.submit(_score_in_worker, video, case), done))
        while len(self.pending) > 2 * self.workers:
            self._complete_first()
        self.poll()

    def poll(self) -> None:
        while self.pending and self.pending[0][0].done():
            self._complete_first()

    def _complete_first(self) -> None:
        future, done = self.pending.pop(0)
        result, seconds = future.result()
        done(result, seconds)

    def close(self, *, wait: bool = True) -> None:
        try:
            while wait and self.pending:
                self._complete_first()
        finally:
            if self.pool is not None:
                self.pool.shutdown(wait=wait, cancel_futures=not wait)
