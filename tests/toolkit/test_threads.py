"""BLAS on one thread where the toolkit works on matrices of a few parameters."""

from __future__ import annotations

import pytest
from threadpoolctl import threadpool_info

from toolkit.threads import one_blas_thread


def _blas_threads() -> list[int]:
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def test_one_blas_thread_limits_blas_inside_and_restores_it():
    before = _blas_threads()
    if not before:
        pytest.fail("no BLAS library found by threadpoolctl: numpy links one")
    with one_blas_thread():
        assert _blas_threads() == [1] * len(before)
    assert _blas_threads() == before


def test_the_reports_inference_data_is_built_on_one_blas_thread(monkeypatch):
    from toolkit.report import inference_data

    seen = []
    monkeypatch.setattr(
        inference_data,
        "_comparison_to_inference_data",
        lambda cmp, seed, posterior: seen.append(_blas_threads()),
    )
    inference_data.comparison_to_inference_data(None)
    assert seen and set(seen[0]) == {1}
