"""Bad input through the API: a DataError naming family, problem, count and index."""

import numpy as np
import pytest

import toolkit
from models import families
from toolkit.errors import BoundaryError, DataError

FAMILIES = list(families())
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
    data[7] = bad
    with pytest.raises(DataError, match=f"family '{name}'.*{words}"):
        toolkit.compare(name, data, **families()[name].demo_options)


@pytest.mark.parametrize("name", FAMILIES)
def test_empty(name):
    with pytest.raises(DataError, match=f"family '{name}'.*empty"):
        toolkit.compare(name, [], **families()[name].demo_options)


@pytest.mark.parametrize("name", FAMILIES)
def test_non_numeric(name):
    data = list(demo_data(name))
    data[3] = "abc"
    with pytest.raises(DataError, match=r"1 non-numeric value\(s\); first at index 3 \('abc'\)"):
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
    for bad in (10.5, 0, "ten"):
        with pytest.raises(DataError, match="binomial.*option 'n': expected a positive integer"):
            toolkit.compare("binomial", [1, 2, 3], n=bad)


def test_unknown_family_and_bad_tolerance():
    with pytest.raises(ValueError, match="unknown family 'gauss'; valid: .*normal"):
        toolkit.compare("gauss", [1.0, 2.0])
    with pytest.raises(ValueError, match="tolerance"):
        toolkit.compare("normal", [1.0, 2.0, 3.0], tolerance=-1)


def test_two_dimensional_data_is_rejected():
    with pytest.raises(DataError, match=r"shape \(5, 2\)"):
        toolkit.compare("normal", np.ones((5, 2)))
