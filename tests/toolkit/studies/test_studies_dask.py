"""A study on a Dask distributed cluster started here gives the local run's frame."""

import pandas as pd
import pytest
from distributed import Client, LocalCluster

import toolkit
from toolkit.studies import convergence

STUDY = {"family": "exponential", "sizes": [20, 200], "reps": 3, "seed": 11}


@pytest.fixture(scope="module")
def cluster():
    # One worker process with two threads: the tasks travel by pickle to another process,
    # and the worker's threads must take turns with PyTensor's functions.
    with LocalCluster(
        n_workers=1,
        threads_per_worker=2,
        processes=True,
        dashboard_address=None,
        protocol="tcp",
    ) as running:
        yield running


def test_the_worker_runs_this_checkout(cluster):
    with Client(cluster.scheduler_address) as client:
        where = client.submit(lambda: __import__("toolkit").__file__, pure=False).result()
    assert where == toolkit.__file__


def test_dask_run_equals_the_local_run(cluster, tmp_path):
    address = cluster.scheduler_address
    assert address.startswith("tcp://")
    remote = convergence(**STUDY, scheduler=address, store=tmp_path / "s.jsonl")
    assert remote.attrs["tasks"] == {"total": 6, "from_store": 0, "ran": 6}
    pd.testing.assert_frame_equal(remote, convergence(**STUDY), check_exact=True)
