"""Tests of the public surface of toolkit.divergence."""

import importlib

import toolkit.divergence as div
from toolkit.divergence import discrete


def test_all_names_exist_and_are_public():
    assert sorted(div.__all__) == div.__all__
    for name in div.__all__:
        assert not name.startswith("_")
        assert callable(getattr(div, name))


def test_entropy_is_the_shannon_function():
    assert div.entropy is discrete.entropy
    assert div.entropy([0.5, 0.5]) > 0
    estimators = importlib.import_module("toolkit.divergence.differential")
    assert estimators.vasicek_entropy is div.vasicek_entropy
