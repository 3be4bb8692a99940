"""Figures of one report entry, each returned as a base64 PNG ``data:`` URI.

matplotlib is switched to the Agg backend inside :func:`_figure`, never at
import time, and every figure is closed once encoded.
"""

from __future__ import annotations

import base64
import io

import numpy as np

from toolkit.report.stats import calibration_bins

DPI = 90
ENGINE_STYLE = {
    "mle": {"color": "#1f77b4", "ls": "-"},
    "kl": {"color": "#d62728", "ls": "--"},
    "closed_form": {"color": "#2ca02c", "ls": ":"},
    "scipy": {"color": "#9467bd", "ls": "-."},
    "find_map": {"color": "#ff7f0e", "ls": (0, (1, 3))},
    "map": {"color": "#8c564b", "ls": (0, (5, 2))},
}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _figure(*args, **kwargs):
    return _pyplot().subplots(*args, layout="constrained", **kwargs)


def encode(fig, *, tight: bool = False) -> str:
    """The figure as a ``data:image/png;base64,...`` URI; the figure is closed.

    ``tight`` crops to the drawn content (figures laid out by ArviZ, whose long
    labels can reach past the edge).
    """
    plt = _pyplot()
    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format="png", dpi=DPI, **({"bbox_inches": "tight"} if tight else {}))
    finally:
        plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def fit_figure(entry) -> str:
    """The data against the fitted density (histogram + curve) or pmf (bars + points)."""
    ds = entry.diagnostics
    grid, density = ds["grid_x"].values, ds["grid_density"].values
    fig, ax = _figure(figsize=(6.4, 3.6))
    x = entry.data
    if entry.discrete:
        top = int(x.max())
        values = np.arange(top + 1)
        freq = np.bincount(x.astype(int), minlength=top + 1) / x.size
        ax.bar(values, freq, color="#c6dbef", edgecolor="#6baed6", label="data: p̂(x)")
        ax.plot(grid, density, "o", color="#08306b", label="model at the MLE: q(x; θ̂)")
        ax.set_ylabel("probability")
        if top <= 30:
            ax.set_xticks(values)
    else:
        lo, hi = np.quantile(x, [0.005, 0.995])
        edges = np.histogram_bin_edges(x[(x >= lo) & (x <= hi)], bins="auto")[:61]
        counts, edges = np.histogram(x, bins=edges)
        ax.stairs(counts / (x.size * np.diff(edges)), edges, fill=True, color="#c6dbef",
                  label="data (histogram)")  # fmt: skip
        ax.plot(grid, density, color="#08306b", lw=2, label="model density at the MLE")
        ax.set_ylabel("density")
    ax.set_xlabel("x")
    ax.set_title(f"{entry.family} fitted to {entry.dataset} (N = {entry.n})")
    ax.legend(frameon=False)
    return encode(fig)


def profile_figure(entry, profiles) -> str:
    """KL(p̂‖q_θ) and −ℓ(θ)/N along each parameter, on twin axes offset by H(p̂)."""
    plt = _pyplot()
    k = len(profiles)
    cols = min(k, 3)
    rows = -(-k // cols)
    fig, axes = plt.subplots(
        rows, cols, figsize=(4.6 * cols, 3.9 * rows), squeeze=False, layout="constrained"
    )
    for ax, profile in zip(axes.flat, profiles, strict=False):
        _profile_panel(ax, entry, profile)
    for ax in list(axes.flat)[k:]:
        ax.set_visible(False)
    return encode(fig)


def _profile_panel(ax, entry, profile) -> None:
    ok = np.isfinite(profile.kl) & np.isfinite(profile.neg_loglik)
    grid, kl, nll = profile.grid[ok], profile.kl[ok], profile.neg_loglik[ok]
    if grid.size == 0:
        ax.text(0.5, 0.5, "not finite here", ha="center", transform=ax.transAxes)
        return
    offset = float(np.median(nll - kl))  # = H(p̂) (or its estimate): constant in θ
    if abs(offset) <= 1e-12 * max(1.0, float(np.max(np.abs(kl)))):
        offset = 0.0  # rounding noise of a zero offset (continuous responses)
    ax.plot(grid, kl, color="#d62728", lw=3, alpha=0.6, label="KL(p̂‖q_θ)  (left)")
    twin = ax.twinx()
    twin.plot(grid, nll, color="#1f77b4", lw=1.5, ls="--", label="−ℓ(θ)/N  (right)")
    lo, hi = ax.get_ylim()
    twin.set_ylim(lo + offset, hi + offset)
    i_kl, i_nll = int(np.argmin(kl)), int(np.argmin(nll))
    ax.plot(grid[i_kl], kl[i_kl], "v", color="#d62728", ms=10, label="argmin KL")
    twin.plot(grid[i_nll], nll[i_nll], "^", color="#1f77b4", ms=8, label="argmin −ℓ/N")
    for engine in ("mle", "kl"):
        if engine in entry.estimates.columns:
            style = ENGINE_STYLE[engine]
            ax.axvline(entry.estimates.loc[profile.parameter, engine], lw=0.8, **style)
    ax.set_xlabel(profile.parameter)
    ax.set_ylabel("KL(p̂‖q_θ)", color="#d62728")
    twin.set_ylabel("−ℓ(θ)/N", color="#1f77b4")
    ax.set_title(f"{profile.parameter}: right axis = left + {offset:.4g}", fontsize=9)
    handles = ax.get_legend_handles_labels()
    twin_handles = twin.get_legend_handles_labels()
    ax.legend(
        handles[0] + twin_handles[0],
        handles[1] + twin_handles[1],
        fontsize=7,
        frameon=False,
        ncol=2,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.22),
    )


def calibration_figure(entry) -> str:
    """QQ plot (model quantiles against the data's) or PP plot (model CDF against the data's)."""
    ds = entry.diagnostics
    model, data = ds["calibration_model"].values, ds["calibration_data"].values
    fig, ax = _figure(figsize=(4.2, 4.0))
    if entry.calibration_kind == "QQ":
        ax.plot(model, data, ".", ms=3, color="#08306b")
        lo, hi = np.nanmin([model[0], data[0]]), np.nanmax([model[-1], data[-1]])
        ax.plot([lo, hi], [lo, hi], color="#999999", lw=1)
        ax.set_xlabel("model quantile at the MLE")
        ax.set_ylabel("data quantile")
    else:
        ax.plot(model, data, "o", ms=4, color="#08306b")
        ax.plot([0, 1], [0, 1], color="#999999", lw=1)
        ax.set_xlabel("model CDF at the MLE")
        ax.set_ylabel("empirical CDF")
    ax.set_title(f"{entry.calibration_kind} plot")
    return encode(fig)


def fitted_figure(entry) -> str:
    """Observed against fitted at the MLE: a scatter (continuous y) or binned calibration
    (discrete y), and y against the covariate with the fitted mean when there is one covariate.
    """
    design = entry.design
    observed = entry.idata.observed_data
    y = np.asarray(observed["y"].values, dtype=float)
    x = np.asarray(observed["X"].values, dtype=float)
    columns = list(design["columns"])
    if design["intercept"]:
        columns, x = columns[1:], x[:, 1:]
    fitted = np.asarray(entry.diagnostics["fitted_mean"].values, dtype=float)
    response = design["response"]
    one = x.shape[1] == 1
    fig, axes = _figure(1, 2 if one else 1, figsize=(9.6 if one else 4.8, 4.0), squeeze=False)
    ax = axes[0, 0]
    if entry.discrete:
        cal = calibration_bins(y, fitted)
        ax.errorbar(
            cal.fitted, cal.observed, yerr=2 * cal.se, fmt="o", color="#08306b", capsize=3,
            label=f"mean observed {response} per bin (±2 SE)",
        )  # fmt: skip
        ax.set_title(f"Calibration: {len(cal.rows)} bins of ≈{int(np.median(cal.rows))} rows")
        lo = min(cal.fitted.min(), np.nanmin(cal.observed - 2 * cal.se))
        hi = max(cal.fitted.max(), np.nanmax(cal.observed + 2 * cal.se))
        ax.set_ylabel(f"observed mean of {response}")
    else:
        ax.plot(fitted, y, ".", ms=3, alpha=0.6, color="#08306b", label="rows")
        ax.set_title("Observed against fitted")
        lo, hi = min(fitted.min(), y.min()), max(fitted.max(), y.max())
        ax.set_ylabel(f"observed {response}")
    ax.plot([lo, hi], [lo, hi], color="#999999", lw=1, label="observed = fitted")
    ax.set_xlabel(f"fitted mean E[{response} | x] at the MLE")
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    if one:
        _covariate_panel(axes[0, 1], response, y, columns[0], x[:, 0], fitted)
    return encode(fig)


def _covariate_panel(ax, response, y, name: str, x: np.ndarray, fitted: np.ndarray) -> None:
    order = np.argsort(x, kind="stable")
    ax.plot(x, y, ".", ms=3, alpha=0.5, color="#6baed6", label=f"data: {response}")
    ax.plot(x[order], fitted[order], color="#08306b", lw=2, label="fitted mean at the MLE")
    ax.set_xlabel(name)
    ax.set_ylabel(response)
    ax.set_title(f"{response} against {name}")
    ax.legend(fontsize=8, frameon=False)


def prior_pull_figure(entry) -> str:
    """(MAP − MLE) / SE per parameter: how far the model's priors pull each estimate."""
    pull = prior_pull(entry)
    fig, ax = _figure(figsize=(5.2, 1.2 + 0.35 * len(pull)))
    y = np.arange(len(pull))[::-1]
    values = pull.to_numpy(float)
    ax.barh(y, values, color=ENGINE_STYLE["map"]["color"], height=0.6, label="MAP (with priors)")
    ax.axvline(0.0, color="#1f77b4", lw=1.5, label="MLE (priors dropped)")
    finite = np.abs(values[np.isfinite(values)])
    half = 1.25 * max(float(finite.max()) if finite.size else 0.0, 0.05)
    ax.set_xlim(-half, half)  # symmetric: the direction of the pull is visible
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(5, symmetric=True))
    ax.set_yticks(y, list(pull.index))
    ax.set_xlabel("(MAP − MLE) / SE   [standard errors]")
    ax.set_title("The priors' pull on each estimate", fontsize=10)
    ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return encode(fig)


def prior_pull(entry):
    """(MAP − MLE) / SE by parameter (pandas Series)."""
    est = entry.estimates
    with np.errstate(divide="ignore", invalid="ignore"):
        return (est["map"] - est["mle"]) / entry.se
