"""The settings table: defaults, validation, the context manager, and that engines read it."""

from __future__ import annotations

import numpy as np
import pytest

import toolkit
from toolkit.config import SETTINGS, settings, settings_context


def test_defaults_and_documentation():
    for name, setting in SETTINGS.items():
        assert settings[name] == setting.default
        assert setting.doc  # every setting says what it means


@pytest.mark.parametrize(
    ("name", "bad"),
    [
        ("tolerance", 0),
        ("tolerance", -1e-3),
        ("tolerance", float("inf")),
        ("tolerance", "small"),
        ("stationary_fraction", 1.5),
        ("boundary_z", -30),
        ("n_starts", -1),
        ("n_starts", 2.5),
        ("seed", True),
        ("laplace_draws", 0),
    ],
)
def test_assignments_are_validated(name, bad):
    with pytest.raises(ValueError, match=f"setting '{name}'"):
        settings[name] = bad
    assert settings[name] == SETTINGS[name].default


def test_unknown_setting_names_the_valid_ones():
    with pytest.raises(KeyError, match="unknown setting 'tol'.*tolerance"):
        settings["tol"]


def test_context_restores_even_after_an_error():
    with pytest.raises(RuntimeError), settings_context(tolerance=1e-5, seed=7):
        assert settings["tolerance"] == 1e-5 and settings["seed"] == 7
        raise RuntimeError
    assert settings["tolerance"] == SETTINGS["tolerance"].default
    assert settings["seed"] == 0
    with pytest.raises(ValueError, match="tolerance"), settings_context(tolerance=-1):
        pass
    assert settings["tolerance"] == SETTINGS["tolerance"].default


def test_compare_reads_the_tolerance_from_the_settings():
    # The tolerance given to compare() is the one every rule uses: the comparison reports
    # it, and the optimum rule (stationary_fraction × tolerance) tightens with it.
    x = np.random.default_rng(5).exponential(2.0, 300)
    loose = toolkit.compare("exponential", x, tolerance=0.5)
    with settings_context(tolerance=0.5):
        same = toolkit.compare("exponential", x)
    assert loose.tolerance == same.tolerance == 0.5
    assert settings["tolerance"] == SETTINGS["tolerance"].default
    # find_map is counted only when its Newton step to the optimum is within
    # stationary_fraction × tolerance SE; at a tolerance of 0.5 that is 5e-4 SE.
    distance = loose.fits["find_map"].certificate.distance_se
    assert loose.fits["find_map"].converged == (distance <= 0.5 * 1e-3)
