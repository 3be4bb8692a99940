"""Tests of toolkit.divergence.atoms."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from toolkit.divergence import EmpiricalAtoms, empirical_atoms


def test_one_dimensional_sample():
    ea = empirical_atoms(np.array([3, 1, 3, 3, 7]))
    np.testing.assert_array_equal(ea.atoms, [1, 3, 7])
    np.testing.assert_array_equal(ea.counts, [1, 3, 1])
    np.testing.assert_array_equal(ea.weights, [0.2, 0.6, 0.2])
    assert ea.n == 5 and len(ea) == 3
    assert ea.atoms.dtype == np.int64 and ea.counts.dtype == np.int64
    assert ea.weights.dtype == np.float64


def test_two_dimensional_sample_uses_rows():
    x = np.array([[1.0, 2.0], [0.0, 5.0], [1.0, 2.0], [1.0, 3.0]])
    ea = empirical_atoms(x)
    np.testing.assert_array_equal(ea.atoms, [[0.0, 5.0], [1.0, 2.0], [1.0, 3.0]])
    np.testing.assert_array_equal(ea.counts, [1, 2, 1])
    assert ea.n == 4


def test_size_follows_distinct_values_not_observations():
    x = np.tile(np.array([2.5, -1.0, 4.0]), 400_000)
    ea = empirical_atoms(x)
    assert ea.n == 1_200_000
    assert ea.atoms.shape == ea.counts.shape == ea.weights.shape == (3,)
    np.testing.assert_array_equal(ea.counts, [400_000] * 3)


def test_signed_zeros_are_one_atom():
    assert len(empirical_atoms([0.0, -0.0, 0.0])) == 1
    assert len(empirical_atoms([[0.0, 1.0], [-0.0, 1.0]])) == 1


def test_bool_input_is_accepted():
    ea = empirical_atoms([True, False, True])
    np.testing.assert_array_equal(ea.counts, [1, 2])


def test_arrays_are_read_only_copies():
    ea = empirical_atoms([1.0, 2.0, 2.0])
    for arr in (ea.atoms, ea.counts, ea.weights):
        with pytest.raises(ValueError, match="read-only"):
            arr[0] = 0
    counts = np.array([1, 2])
    EmpiricalAtoms(np.array([0.0, 1.0]), counts, counts / 3.0, 3)
    counts[0] = 5  # the caller's array stays writable and detached
    assert counts.flags.writeable


def test_inconsistent_record_is_rejected():
    with pytest.raises(ValueError, match="shape"):
        EmpiricalAtoms(np.array([0.0, 1.0]), np.array([1]), np.array([1.0]), 1)
    with pytest.raises(ValueError, match="sum to"):
        EmpiricalAtoms(np.array([0.0]), np.array([2]), np.array([1.0]), 3)


@pytest.mark.parametrize(
    ("x", "error", "match"),
    [
        ([], ValueError, "empty"),
        (np.zeros((0, 2)), ValueError, "empty"),
        (np.zeros((3, 0)), ValueError, "column"),
        (np.zeros((2, 2, 2)), ValueError, "1-D or 2-D"),
        (np.float64(3.0), ValueError, "1-D or 2-D"),
        ([1.0, np.nan], ValueError, "non-finite"),
        ([1.0, np.inf], ValueError, "non-finite"),
        (["a", "b"], TypeError, "real numbers"),
        ([1 + 2j], TypeError, "real numbers"),
        ([[1, 2], [3]], ValueError, "rectangular"),
        (None, TypeError, "real numbers"),
    ],
)
def test_invalid_input(x, error, match):
    with pytest.raises(error, match=match):
        empirical_atoms(x)


@given(hnp.arrays(np.int64, st.integers(1, 200), elements=st.integers(-5, 5)))
def test_atoms_and_counts_rebuild_the_sorted_sample(x):
    ea = empirical_atoms(x)
    np.testing.assert_array_equal(np.repeat(ea.atoms, ea.counts), np.sort(x))
    assert np.all(np.diff(ea.atoms) > 0)
    np.testing.assert_array_equal(ea.weights, ea.counts / len(x))
    assert abs(ea.weights.sum() - 1.0) <= 1e-12 * len(ea)


@given(
    hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 60), st.integers(1, 3)),
        elements=st.sampled_from([-1.5, 0.0, 2.0]),
    )
)
def test_rows_are_counted(x):
    ea = empirical_atoms(x)
    assert ea.counts.sum() == x.shape[0] == ea.n
    for row, count in zip(ea.atoms, ea.counts, strict=True):
        assert np.count_nonzero(np.all(x == row, axis=1)) == count
    assert len({tuple(r) for r in x.tolist()}) == len(ea)
