"""Monte Carlo on a real distributed cluster (worker processes on 127.0.0.1): the same seed gives the
same numbers in a plain loop, on one worker and on two."""

from __future__ import annotations

import numpy as np
import pytest

from safepassage.simulate import metric_names, prepare_job, simulate_proposal
from safepassage.simulate.dask_runner import run_on_dask
from safepassage.simulate.montecarlo import run_batch

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address="127.0.0.1:0", silence_logs=40)
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and np.array_equal(np.nan_to_num(a, nan=-1.0), np.nan_to_num(b, nan=-1.0))


def test_one_and_two_workers_and_a_plain_loop_give_identical_results(client, gaza, gaza_short, gaza_plans):
    plan, _, _ = gaza_plans["daily-4h-north"]
    job = prepare_job(gaza, "daily-4h-north", gaza_short, plan=plan)
    loop = simulate_proposal(gaza, "daily-4h-north", runs=60, seed=42, job=job).values
    assert len(client.scheduler_info()["workers"]) == 2
    two = run_on_dask(job, 42, 60, client=client, batch_size=7)
    one_worker = next(iter(client.scheduler_info()["workers"]))
    # One worker: every batch pinned to the same worker process.
    futures = [client.submit(run_batch, job, 42, range(lo, min(60, lo + 11)), workers=[one_worker], pure=False) for lo in range(0, 60, 11)]
    one = np.concatenate(client.gather(futures))
    assert _same(loop, two) and _same(loop, one)
    assert np.unique(loop[:, 0]).size > 1  # the runs differ from one another
    other = run_on_dask(job, 43, 60, client=client)
    assert not _same(loop, other)


def test_replanning_runs_on_the_workers_and_is_reproducible(client, tiny):
    job = prepare_job(tiny, "pause", policy="replan")
    first = run_on_dask(job, 5, 24, client=client, batch_size=5)
    again = simulate_proposal(tiny, "pause", runs=24, seed=5, job=job).values
    assert _same(first, again)
    replans = first[:, metric_names(job.world).index("replans")]
    assert replans.sum() > 0


def test_the_cli_runs_on_an_existing_cluster_given_by_its_address(client, runner, tiny_path):
    from safepassage.cli import app

    address = client.scheduler.address
    assert address.startswith("tcp://127.0.0.1:")
    args = ["simulate", str(tiny_path), "-p", "pause", "--runs", "30", "--seed", "3", "--json"]
    on_cluster = runner.invoke(app, [*args, "--scheduler", address])
    in_process = runner.invoke(app, [*args, "--workers", "0"])
    assert on_cluster.exit_code == 0, on_cluster.output
    import json

    assert json.loads(on_cluster.stdout)["fixed"]["kpis"] == json.loads(in_process.stdout)["fixed"]["kpis"]
