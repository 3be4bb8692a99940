"""Bad input through the API: a DataError naming family, problem, count and index."""

import re

import numpy as np
import pytest

import toolkit
from models import families
from models.regression.declaration import RegressionFamily
from toolkit.errors import BoundaryError, DataError

FAMILIES = [name for name, f in families().items() if not isinstance(f, RegressionFamily)]
#: Candidate values, at least one of which is outside every non-real support.
OUTSIDE_CANDIDATES = (-1.0, 0.5, 1.5, -0.5, 1e6)


def demo_data(name, n=50, seed=1):
    family = families()[name]
    rng = np.random.default_rng(seed)
    return np.asarray(family.simulate(rng, n, family.demo_params, family.demo_options), float)


def outside_value(name):
    family = families()[name]
    options = family.resolve_options(demo_data(name), family.demo_options)
    for value in OUTSIDE_CANDIDATES:
        if not family.in_support(np.array([value]), options)[0]:
            return value
    return None


RESTRICTED = [name for name in FAMILIES if outside_value(name) is not None]


@pytest.mark.parametrize("name", FAMILIES)
@pytest.mark.parametrize(
    ("bad", "words"), [(np.nan, "1 NaN values; first at index 7"), (np.inf, "1 infinite values")]
)
def test_nan_and_inf(name, bad, words):
    data = demo_data(name)
    if data.ndim == 2:  # rows of values: the message names the row and the column
        data[7, 1] = bad
        words = words.replace("index 7", "row 7, column 1")
    else:
        data[7] = bad
    with pytest.raises(DataError, match=f"family '{name}'.*{words}"):
        toolkit.compare(name, data, **families()[name].demo_options)


@pytest.mark.parametrize("name", FAMILIES)
def test_empty(name):
    with pytest.raises(DataError, match=f"family '{name}'.*empty"):
        toolkit.compare(name, [], **families()[name].demo_options)


@pytest.mark.parametrize("name", FAMILIES)
def test_non_numeric(name):
    data = demo_data(name).tolist()
    where = "index 3"
    if isinstance(data[3], list):  # rows of values: the message names the row and the column
        data[3][1], where = "abc", "row 3, column 1"
    else:
        data[3] = "abc"
    with pytest.raises(DataError, match=rf"1 non-numeric value\(s\); first at {where} \('abc'\)"):
        toolkit.compare(name, data, **families()[name].demo_options)


@pytest.mark.parametrize("name", RESTRICTED)
def test_outside_support(name):
    data = demo_data(name)
    data[[4, 9]] = outside_value(name)
    with pytest.raises(DataError, match=f"family '{name}': 2 values outside the support.*index 4"):
        toolkit.compare(name, data, **families()[name].demo_options)


def test_named_support_cases():
    with pytest.raises(DataError, match="gamma.*outside the support"):
        toolkit.compare("gamma", [1.0, 2.0, -3.0])
    with pytest.raises(DataError, match="beta.*outside the support.*index 1"):
        toolkit.compare("beta", [0.2, 1.0, 0.5])
    with pytest.raises(DataError, match="poisson.*outside the support.*index 2 \\(value 2.5\\)"):
        toolkit.compare("poisson", [1, 2, 2.5])


@pytest.mark.parametrize("name", FAMILIES)
def test_fewer_observations_than_parameters(name):
    # One observation never identifies a family: each has at least one free parameter.
    with pytest.raises(DataError, match=rf"family '{name}': 1 observation\(s\) for"):
        toolkit.compare(name, demo_data(name)[:1], **families()[name].demo_options)


def test_too_few_message():
    with pytest.raises(DataError, match=r"2 observation\(s\) for 3 free parameter\(s\)"):
        toolkit.compare("student_t", [0.1, 0.7])


@pytest.mark.parametrize(
    ("name", "data", "options"),
    [
        ("normal", [2.0] * 10, {}),
        ("bernoulli", [0] * 10, {}),
        ("poisson", [0] * 10, {}),
        ("gamma", [3.0] * 10, {}),
        ("binomial", [10] * 10, {"n": 10}),
        ("geometric", [1] * 10, {}),
        ("categorical", [0, 1, 1, 3], {"k": 4}),
    ],
)
def test_degenerate_data_is_a_boundary_error(name, data, options):
    with pytest.raises(BoundaryError, match=f"family '{name}': the MLE does not exist"):
        toolkit.compare(name, data, **options)


def test_missing_and_unknown_options():
    with pytest.raises(DataError, match="binomial.*needs option 'n'"):
        toolkit.compare("binomial", [1, 2, 3])
    with pytest.raises(DataError, match="unknown option.*'trials'"):
        toolkit.compare("binomial", [1, 2, 3], trials=5)
    for bad in (10.5, 0, "ten", "nan", "1e30"):
        with pytest.raises(DataError, match="binomial.*option 'n': expected a positive integer"):
            toolkit.compare("binomial", [1, 2, 3], n=bad)
    # 1e30 used to raise OverflowError from PyTensor: PyMC holds integers as int32
    with pytest.raises(DataError, match=r"up to 2147483647 \(PyMC's int32\), got '1e30'"):
        toolkit.compare("binomial", [1, 2, 3], n="1e30")


def test_unknown_family_and_bad_tolerance():
    with pytest.raises(ValueError, match="unknown family 'gauss'; valid: .*normal"):
        toolkit.compare("gauss", [1.0, 2.0])
    with pytest.raises(ValueError, match="tolerance"):
        toolkit.compare("normal", [1.0, 2.0, 3.0], tolerance=-1)


def test_two_dimensional_data_is_rejected():
    with pytest.raises(DataError, match=r"shape \(5, 2\)"):
        toolkit.compare("normal", np.ones((5, 2)))


def test_two_dimensional_family_names_row_and_column():
    pd = pytest.importorskip("pandas")
    data = demo_data("mv_normal")
    data[[5, 9], 2] = np.nan
    with pytest.raises(DataError, match=r"'mv_normal': 2 NaN values; first at row 5, column 2"):
        toolkit.compare("mv_normal", data)
    frame = pd.DataFrame(demo_data("mv_normal"), columns=["a", "b", "c"])
    frame.loc[4, "b"] = np.inf
    with pytest.raises(DataError, match=r"1 infinite values; first at row 4, column 1 \('b'\)"):
        toolkit.compare("mv_normal", frame)
    frame = frame.astype(object)
    frame.loc[2, "c"] = "n/a"
    with pytest.raises(DataError, match=r"first at row 2, column 2 \('c'\) \('n/a'\)"):
        toolkit.compare("mv_normal", frame)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (np.ones(10), r"expected an N × d array .*got an array of shape \(10,\)"),
        ([[1.0, 2.0], [3.0]], "rows of different lengths"),
        (np.ones((20, 3)), "columns are collinear"),
        (np.random.default_rng(0).normal(size=(3, 3)), "3 observation"),
    ],
)
def test_two_dimensional_shapes_and_degeneracy(data, words):
    with pytest.raises((DataError, BoundaryError), match=f"family 'mv_normal'.*{words}"):
        toolkit.compare("mv_normal", data)


def test_column_option_must_match_the_data():
    with pytest.raises(DataError, match="option d = 2 but the data have 3 column"):
        toolkit.compare("mv_normal", demo_data("mv_normal"), d=2)


def test_mixture_with_few_distinct_values_is_a_boundary_error():
    with pytest.raises(BoundaryError, match=r"'gaussian_mixture'.*4 distinct value\(s\) for 5"):
        toolkit.compare("gaussian_mixture", [0.0, 1.0, 5.0, 6.0] * 10)
    with pytest.raises(BoundaryError, match=r"7 distinct value\(s\) for 8 free"):
        toolkit.compare("gaussian_mixture", list(range(7)) * 5, k=3)


# ---------------------------------------------------------------- extreme magnitudes
# Values the engines cannot evaluate in float64 (PyMC's Hessians hold fourth powers of
# the data) or that PyMC cannot hold (counts in int32) are refused in one sentence that
# names the first place, before any fit (issue 10: they raised SamplingError, NaN errors
# or a scipy FitSolverError from deep inside).


@pytest.mark.parametrize("name", FAMILIES)
def test_a_value_beyond_the_evaluable_range_is_named(name):
    family = families()[name]
    data = demo_data(name)
    huge = 2.0**31 if family.discrete else -1e308
    if data.ndim == 2:
        data[7, 1], place = huge, "first at row 7, column 1"
    else:
        data[7], place = huge, "first at index 7"
    what = "counts of 2147483648 or more" if family.discrete else "values beyond ±1e+50"
    with pytest.raises(DataError, match=f"'{name}': 1 {re.escape(what)}.*evaluated on; {place}"):
        toolkit.compare(name, data, **family.demo_options)


def test_the_largest_count_pymc_holds_is_data():
    from toolkit.problem.validation import family_data

    x, _ = family_data(families()["poisson"], [1, 2, 2**31 - 1], {})
    assert x[2] == 2**31 - 1
    with pytest.raises(DataError, match="first at index 2 \\(value 2147483648.0\\)"):
        family_data(families()["poisson"], [1, 2, 2**31], {})


@pytest.mark.parametrize("name", [n for n in FAMILIES if not families()[n].discrete])
def test_data_too_small_to_evaluate_are_refused_as_a_whole(name):
    data = demo_data(name) * 1e-300
    with pytest.raises(DataError, match="every value is below 1e-50 in magnitude"):
        toolkit.compare(name, data)


def test_categorical_data_of_one_category():
    # Used to be "zero-size array to reduction operation minimum".
    with pytest.raises(DataError, match="with k = 1 the family has no free parameter"):
        toolkit.compare("categorical", np.zeros(20))
    with pytest.raises(BoundaryError, match=r"2 of 3 categories never occur \(first: category 0"):
        toolkit.compare("categorical", np.full(20, 2))
