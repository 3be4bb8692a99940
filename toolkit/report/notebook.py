"""The coursework notebook: the derivation step by step, on the public API, with small data.

``klmle notebook`` writes it (nbformat 4 JSON, no outputs); the test suite executes
it, so it never goes stale. Its ``assert`` lines are the identities it shows.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from toolkit.report.results import atomic_write

DEFAULT_OUTPUT = "reports/kl_is_mle.ipynb"

CELLS = [
    (
        "markdown",
        """# Minimising KL(p̂ ‖ q_θ) is maximum likelihood

Write p̂ for the empirical distribution of N observations (mass 1/N on each) and q_θ for
a model. Then

$$\\mathrm{KL}(\\hat p \\,\\|\\, q_\\theta) = \\sum_x \\hat p(x) \\log \\hat p(x)
- \\sum_x \\hat p(x) \\log q(x;\\theta) = -H(\\hat p) - \\ell(\\theta)/N .$$

The entropy H(p̂) does not depend on θ, so the θ that minimises the KL divergence is the θ
that maximises the likelihood ℓ. This notebook follows the argument with `klmle`:

1. the identity on one sample, and its KL profile;
2. the law of large numbers: p̂ → p, so the MLE → argmin KL(p ‖ q_θ), the true θ;
3. a wrong model: the MLE → the pseudo-true θ*, and the sandwich standard error;
4. smoothing p̂: a different objective, whose minimiser tends to the MLE as h → 0;
5. the reverse KL(q_θ ‖ p̂_h): mode-seeking, where the forward one is mean-seeking;
6. a prior's pull on the MAP fades like 1/N.

Each study runs in seconds; the figures are the ones `klmle study ... --report` draws.""",
    ),
    (
        "code",
        """import numpy as np
import matplotlib.pyplot as plt
from IPython.display import HTML

import toolkit
from toolkit import studies
from toolkit.report import studies as sections

rng = np.random.default_rng(2024)""",
    ),
    (
        "markdown",
        """## 1. The identity on one sample

Fit a gamma model to 500 draws. `mle` maximises the likelihood with PyMC; `kl` minimises
KL(p̂ ‖ q_θ) directly, over the distinct values with their weights, with an independent
density and optimiser. They land on the same θ.""",
    ),
    (
        "code",
        """x = rng.gamma(2.5, 1 / 1.5, size=500)
cmp = toolkit.compare("gamma", x)
print(cmp.verdict)
cmp.estimates""",
    ),
    (
        "markdown",
        """Along a line through the optimum, KL(p̂ ‖ q_θ) and −ℓ(θ)/N differ by a constant
(for continuous data the reported KL subtracts an estimate of the entropy of p, still a
constant in θ), so their minima coincide.""",
    ),
    (
        "code",
        """problem, theta = cmp.problem, cmp.fits["mle"].theta
alphas = theta[0] * np.linspace(0.8, 1.25, 61)
kl, nll = [], []
for a in alphas:
    t = theta.copy()
    t[0] = a
    kl.append(problem.kl(t))
    nll.append(-problem.loglik(t) / problem.n)
kl, nll = np.array(kl), np.array(nll)
assert np.ptp(kl - nll) < 1e-9  # the same curve, shifted by a θ-free constant
assert np.argmin(kl) == np.argmin(nll)

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(alphas, kl, lw=3, color="#d62728", label="KL(p̂ ‖ q_θ)")
ax.plot(alphas, nll + (kl - nll).mean(), "--", color="#1f77b4", label="−ℓ(θ)/N (shifted)")
ax.axvline(theta[0], color="grey", lw=1)
ax.set_xlabel("alpha (beta at its MLE)")
ax.legend();""",
    ),
    (
        "markdown",
        """## 2. The law of large numbers at work

The identity holds on every sample. Why care? Because p̂ → p as N grows, so the MLE
tends to argmin KL(p ‖ q_θ), the true θ when the model is right. Below, samples of 30, 300
and 3000 from a normal are fitted: the error shrinks like N^(−1/2), √N(θ̂ − θ) looks like
a normal with the inverse Fisher information as variance, and the fitted model is, on
average, k/(2N) away from the truth in KL (k = 2 parameters): Akaike's argument.""",
    ),
    (
        "code",
        """lln = studies.convergence("normal", sizes=[30, 300, 3000], reps=40, seed=1)
print(lln.head())
HTML(sections.convergence_section(lln))""",
    ),
    (
        "markdown",
        """## 3. A wrong model: the pseudo-true parameter

Fit a normal to gamma data. The MLE still converges, to θ* = argmin KL(p ‖ q_θ): for a
normal, the mean and standard deviation of the truth (moment matching). The standard
error from the observed information assumes the model is right; the sandwich
H⁻¹(Σ sᵢsᵢᵀ)H⁻¹ does not, and its intervals cover θ* as promised.""",
    ),
    (
        "code",
        """alpha, beta = 2.0, 1 / 1.5
wrong = studies.misspecification(
    ("gamma", {"alpha": alpha, "beta": beta}), "normal", sizes=[50, 500, 5000], reps=40, seed=2
)
targets = wrong.groupby("parameter")["target"].first()
assert abs(targets["mu"] - alpha / beta) < 1e-6 and abs(targets["sigma"] - alpha**0.5 / beta) < 1e-6
HTML(sections.misspecification_section(wrong))""",
    ),
    (
        "markdown",
        """## 4. Smoothing p̂

A kernel density estimate p̂_h with bandwidth h is not p̂: minimising KL(p̂_h ‖ q_θ) is a
different problem. For a normal model the answer is exact: μ = x̄ and σ² = s² + h²
(s² with divisor N); as h → 0 it tends to the MLE.""",
    ),
    (
        "code",
        """y = rng.normal(1.0, 2.0, size=300)
smooth = studies.smoothing("normal", y, [0.05, 0.2, 0.5, 1.0, 2.0])
kde = smooth[(smooth["smoother"] == "kde") & (smooth["parameter"] == "sigma")]
assert np.allclose(kde["estimate"] ** 2, y.var() + kde["bandwidth"] ** 2, rtol=1e-6)
HTML(sections.smoothing_section(smooth))""",
    ),
    (
        "markdown",
        """## 5. The reverse KL

What does minimising KL(q_θ ‖ p̂) give? On atoms it is infinite for a continuous q, so
take p̂_h. On well-separated bimodal data the forward fit covers both modes, sitting
between them; the reverse fit locks onto one mode, and each mode is a local minimum.""",
    ),
    (
        "code",
        """b = studies.bimodal_sample(400, seed=3)
rev = studies.reverse("normal", b, 0.3)
HTML(sections.reverse_section(rev, b))""",
    ),
    (
        "markdown",
        """## 6. A prior's pull

With proper priors the MAP maximises ℓ(θ) + log π(θ). The likelihood grows with N and the
prior does not, so the MAP tends to the MLE, the gap shrinking like 1/N.""",
    ),
    (
        "code",
        """pull = studies.prior("normal", sizes=[10, 100, 1000], reps=10, seed=4)
HTML(sections.prior_section(pull))""",
    ),
    (
        "markdown",
        """## What to take away

- On every sample, argmin KL(p̂ ‖ q_θ) = argmax ℓ(θ), exactly.
- By the law of large numbers the MLE converges to the KL-closest model: the truth when the
  model is right, the pseudo-true θ* when it is not (then use the sandwich SE).
- Smoothing p̂ or turning the KL around changes the answer: the gap is the point.""",
    ),
]


def notebook() -> dict:
    """The notebook as nbformat 4 JSON (a dict), without outputs."""
    cells = []
    for i, (kind, source) in enumerate(CELLS):
        cell = {"cell_type": kind, "id": f"cell-{i:02d}", "metadata": {}, "source": source}
        if kind == "code":
            cell.update(execution_count=None, outputs=[])
        cells.append(cell)
    metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    return {"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}


def write_notebook(path: str | os.PathLike = DEFAULT_OUTPUT) -> Path:
    """Write the notebook to ``path`` atomically; returns the path."""
    path = Path(path)
    text = json.dumps(notebook(), indent=1, ensure_ascii=False) + "\n"
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return path
