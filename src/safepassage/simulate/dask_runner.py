"""Replications in batches on Dask: a local cluster of single-threaded worker processes (loopback only)
by default, or an existing cluster given by its scheduler address.

The job (world and schedule) is scattered to every worker once; each task runs one batch of
replication indices and returns its metric rows; rows are put back in index order, so the result
does not depend on the number of workers or on which finished first.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import contextmanager

import numpy as np

from safepassage.simulate.replication import SimulationJob, run_batch

__all__ = ["dask_client", "run_on_dask", "default_batch_size"]


def default_batch_size(runs: int, workers: int) -> int:
    """Batches small enough to balance the load and show progress, large enough to amortise a task."""
    return max(1, min(200, math.ceil(runs / max(1, workers) / 8)))


@contextmanager
def dask_client(workers: int = 2, scheduler: str | None = None):
    """A Dask client: connected to ``scheduler`` ('tcp://HOST:PORT') if given, else to a new local
    cluster of ``workers`` processes with one thread each, listening on 127.0.0.1 only (closed on exit)."""
    from distributed import Client, LocalCluster

    if scheduler:
        client = Client(scheduler)
        try:
            yield client
        finally:
            client.close()
        return
    if workers < 1:
        raise ValueError(f'"workers" must be at least 1 for a local Dask cluster, got {workers}')
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address="127.0.0.1:0", silence_logs=40)
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def run_on_dask(job: SimulationJob, seed: int, runs: int, workers: int = 2, scheduler: str | None = None, batch_size: int | None = None, on_progress: Callable[[int, int], None] | None = None, client=None) -> np.ndarray:
    """Metric rows of replications ``0 .. runs-1`` computed on Dask (see module doc). Pass ``client``
    to reuse a connected client; otherwise one is made with ``dask_client(workers, scheduler)``."""
    if client is None:
        with dask_client(workers, scheduler) as own:
            return run_on_dask(job, seed, runs, workers, scheduler, batch_size, on_progress, client=own)
    from distributed import as_completed

    n_workers = max(1, len(client.scheduler_info().get("workers", {})) or workers)
    size = batch_size or default_batch_size(runs, n_workers)
    shared = client.scatter(job, broadcast=True)
    futures = {}
    for lo in range(0, runs, size):
        indices = range(lo, min(runs, lo + size))
        futures[client.submit(run_batch, shared, seed, indices, pure=False)] = lo
    parts: dict[int, np.ndarray] = {}
    done = 0
    for future in as_completed(list(futures)):
        rows = future.result()
        parts[futures[future]] = rows
        done += len(rows)
        if on_progress:
            on_progress(done, runs)
    return np.concatenate([parts[lo] for lo in sorted(parts)])
