"""--posterior nuts: the report's posterior group drawn by PyMC's NUTS."""

import arviz as az
import numpy as np
import pandas as pd
import pytest

import toolkit
from toolkit.cli import main
from toolkit.engines.posterior import check_posterior
from toolkit.report import load_entries


def test_nuts_matches_the_exact_flat_prior_posterior(tmp_path, capsys):
    # Exponential with a flat prior on lam: the posterior is Gamma(N + 1, rate = Σx),
    # whose mean (N + 1)/Σx is the exact reference; NUTS must be within 4 MCSE of it.
    x = np.random.default_rng(11).exponential(2.0, size=300)
    path = tmp_path / "waits.csv"
    pd.DataFrame({"wait": x}).to_csv(path, index=False)
    report = tmp_path / "waits.html"
    args = ["fit", str(path), "--family", "exponential", "--report", str(report)]
    assert main([*args, "--posterior", "nuts"]) == 0
    capsys.readouterr()
    (entry,) = load_entries(report.with_suffix(".nc"))
    posterior = entry.idata.posterior
    assert posterior.sizes["chain"] == 2 and posterior.sizes["draw"] == 1000
    exact_mean = (len(x) + 1) / x.sum()
    mcse = float(az.mcse(posterior["lam"]).to_array().values.squeeze())
    assert abs(float(posterior["lam"].mean()) - exact_mean) <= 4 * mcse
    assert entry.posterior_kind == "nuts"
    html = report.read_text()
    assert "NUTS posterior (ArviZ)" in html and "Laplace posterior" not in html


def test_unknown_posterior_kind():
    with pytest.raises(ValueError, match="posterior must be one of"):
        check_posterior("mcmc")
    cmp = toolkit.compare("poisson", [1, 2, 3, 2, 4])
    with pytest.raises(ValueError, match="posterior must be one of"):
        cmp.to_inference_data(posterior="vi")
