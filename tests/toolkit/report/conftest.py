"""Fixtures for the report tests: a few small, fast fits shared by the module's tests."""

from __future__ import annotations

import numpy as np
import pytest

import toolkit
from toolkit.quiet import quiet
from toolkit.report import entry_from_comparison

#: Small enough to fit in seconds, large enough for a positive-definite information.
N = 300


@pytest.fixture(scope="session")
def entries():
    """exponential and half_normal on the same positive data, poisson, normal."""
    rng = np.random.default_rng(20261121)
    positive = rng.exponential(2.0, N)
    counts = rng.poisson(3.0, N).astype(float)
    normal = rng.normal(1.0, 2.0, N)
    jobs = [
        ("exponential", "positive", positive),
        ("half_normal", "positive", positive),
        ("poisson", "counts", counts),
        ("normal", "normal", normal),
    ]
    out = []
    with quiet():
        for i, (family, dataset, data) in enumerate(jobs):
            cmp = toolkit.compare(family, data)
            out.append(
                entry_from_comparison(cmp, key=f"c{i:02d}", dataset=dataset, source="simulated")
            )
    return out


#: Families whose sections differ from the ``entries`` fixture's: a saturated discrete
#: model, a non-smooth location (NUTS instead of a Laplace approximation), a family
#: without scipy quantiles, and a multivariate one with nine parameters.
MORE_FAMILIES = ("bernoulli", "laplace", "gaussian_mixture", "mv_normal")


@pytest.fixture(scope="session")
def more_entries():
    """bernoulli, laplace, gaussian_mixture and mv_normal on N draws at their demo parameters.

    Keys are the family names.
    """
    from models import families

    out = []
    with quiet():
        for name in MORE_FAMILIES:
            family = families()[name]
            rng = np.random.default_rng([20261121, sum(map(ord, name))])
            data = family.simulate(rng, N, family.demo_params, family.demo_options)
            cmp = toolkit.compare(name, data, **family.demo_options)
            out.append(entry_from_comparison(cmp, key=name, dataset=f"sim {name}", source="sim"))
    return out


@pytest.fixture(scope="session")
def report_html(entries, tmp_path_factory):
    """The report of :func:`entries`, rendered once."""
    from toolkit.report import write_report

    path = tmp_path_factory.mktemp("report") / "report.html"
    write_report(entries, path)
    return path.read_text(encoding="utf-8")


def _user_model(rng):
    """A linear model in PyMC with Normal priors on the coefficients, so ``map`` appears."""
    import pymc as pm

    x = rng.normal(0.0, 1.0, N)
    y = 1.0 + 2.0 * x + rng.normal(0.0, 1.5, N)
    with pm.Model(name="my_model") as model:
        a = pm.Normal("a", 0.0, 1.0)
        b = pm.Normal("b", 0.0, 1.0)
        sigma = pm.HalfNormal("sigma", 2.0)
        pm.Normal("y", a + b * x, sigma, observed=y)
    return model


@pytest.fixture(scope="session")
def model_entries():
    """linear_regression, logistic_regression, nonlinear_regression (demo data) and a pm.Model.

    Keys m00.. in that order; N = 300 rows each.
    """
    from models import get_family
    from models.demo import demo_datasets

    wanted = ("linear_regression", "logistic_regression", "nonlinear_regression")
    jobs = [job for job in demo_datasets(N, 20261121) if job[0] in wanted]
    out = []
    with quiet():
        for i, (name, frame, options) in enumerate(jobs):
            assert get_family(name).name == name
            cmp = toolkit.compare(name, frame, **options)
            out.append(
                entry_from_comparison(cmp, key=f"m{i:02d}", dataset=f"sim {name}", source="sim")
            )
        cmp = toolkit.compare(_user_model(np.random.default_rng(7)))
        out.append(
            entry_from_comparison(cmp, key=f"m{len(out):02d}", dataset="mine", source="my data")
        )
    return out


@pytest.fixture(scope="session")
def model_report_html(model_entries, tmp_path_factory):
    """The report of :func:`model_entries`, rendered once."""
    from toolkit.report import write_report

    path = tmp_path_factory.mktemp("model_report") / "report.html"
    write_report(model_entries, path)
    return path.read_text(encoding="utf-8")
