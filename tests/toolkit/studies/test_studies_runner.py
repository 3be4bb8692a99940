"""Tests of toolkit.studies.runner: resume after SIGKILL, joblib, failures, Ctrl-C, progress."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import toolkit
from toolkit.studies import StoreError, convergence, load
from toolkit.studies.store import Store

ROOT = Path(toolkit.__file__).resolve().parents[1]
#: A small study: 2 sizes × 4 replications of the exponential (fast fits).
STUDY = {"family": "exponential", "sizes": [20, 200], "reps": 4, "seed": 7}

CHILD = """
import os, signal, sys
from toolkit.studies import convergence

def progress(done, total):
    if done == 3:  # three tasks are recorded: die without any chance to clean up
        os.kill(os.getpid(), signal.SIGKILL)

convergence("exponential", sizes=[20, 200], reps=4, seed=7, store=sys.argv[1], progress=progress)
"""


@pytest.fixture(scope="module")
def uninterrupted():
    return convergence(**STUDY)


def test_resume_after_sigkill_equals_an_uninterrupted_run(tmp_path, uninterrupted):
    path = tmp_path / "study.jsonl"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.run([sys.executable, "-c", CHILD, str(path)], env=env, timeout=600)
    assert child.returncode == -signal.SIGKILL
    assert load(path).attrs["tasks"] == {"total": 8, "stored": 3}
    resumed = convergence(**STUDY, store=path)
    assert resumed.attrs["tasks"] == {"total": 8, "from_store": 3, "ran": 5}
    pd.testing.assert_frame_equal(resumed, uninterrupted, check_exact=True)
    pd.testing.assert_frame_equal(load(path), uninterrupted, check_exact=True)
    assert len(path.read_text().splitlines()) == 1 + 8  # the header and each task once


def test_joblib_workers_give_the_same_frame(uninterrupted):
    parallel = convergence(**STUDY, n_jobs=2)
    pd.testing.assert_frame_equal(parallel, uninterrupted, check_exact=True)


def test_ctrl_c_keeps_what_finished_and_releases_the_store(tmp_path, uninterrupted):
    path = tmp_path / "study.jsonl"

    def interrupt(done, total):
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        convergence(**STUDY, store=path, progress=interrupt)
    assert load(path).attrs["tasks"]["stored"] == 2
    seen = []
    resumed = convergence(**STUDY, store=path, progress=lambda d, t: seen.append((d, t)))
    assert seen == [(d, 8) for d in range(2, 9)]  # from the stored count to the total
    pd.testing.assert_frame_equal(resumed, uninterrupted, check_exact=True)


def test_a_second_writer_and_other_arguments_are_refused(tmp_path):
    path = tmp_path / "study.jsonl"
    convergence(**{**STUDY, "reps": 1}, store=path)
    with pytest.raises(StoreError, match="reps: 1 there, 4 here"):
        convergence(**STUDY, store=path)
    arguments = load(path).attrs["arguments"]
    with (
        Store(path, "convergence", arguments),
        pytest.raises(StoreError, match="another study run"),
    ):
        convergence(**{**STUDY, "reps": 1}, store=path)


def test_a_failed_fit_is_a_row_with_its_status():
    # Bernoulli(0.3) samples of 4 are all zeros with probability 0.76⁴ ≈ 0.24: their MLE
    # is on the boundary, which validation refuses (BoundaryError). Seed 0 gives both kinds.
    frame = convergence("bernoulli", sizes=[4], reps=12, seed=0)
    assert len(frame) == 12
    failed = frame["status"].str.startswith("failed: BoundaryError")
    assert failed.any() and (frame.loc[~failed, "status"] == "ok").all()
    assert frame.loc[failed, "estimate"].isna().all()
    assert np.isfinite(frame.loc[~failed, "estimate"]).all()


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"sizes": []}, "non-empty"),
        ({"sizes": [1, 10]}, "at least 2"),
        ({"reps": 0}, "at least 1"),
        ({"seed": -1}, "non-negative"),
        ({"engines": ("kl",)}, "must include 'mle'"),
        ({"n_jobs": 0}, "non-zero"),
    ],
)
def test_bad_arguments_are_refused(change, match):
    with pytest.raises((ValueError, TypeError), match=match):
        convergence(**{**STUDY, **change})
