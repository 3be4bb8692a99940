"""Figures of the studies, each from a study's tidy frame, returned as a PNG ``data:`` URI.

Only fits with status "ok" (certified) enter a figure; the sections count the others.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from models import get_family
from toolkit.divergence import kde_grid
from toolkit.report.figures import encode

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf")


def _subplots(ncols: int = 1, width: float = 5.2, height: float = 3.6):
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(
        1, ncols, figsize=(width * ncols, height), layout="constrained", squeeze=False
    )
    return fig, list(axes[0])


def certified(frame: pd.DataFrame, engine: str | None = "mle") -> pd.DataFrame:
    """The rows of certified fits (of ``engine``, when given)."""
    keep = frame["status"] == "ok"
    if engine is not None and "engine" in frame:
        keep &= frame["engine"] == engine
    return frame[keep]


def error_figure(frame: pd.DataFrame) -> str:
    """|θ̂ − θ| against N on log-log axes, with the N^(−1/2) line through the first size."""
    ok = certified(frame)
    fig, (ax,) = _subplots()
    for colour, (name, rows) in zip(COLOURS, ok.groupby("parameter", sort=False), strict=False):
        error = (rows["estimate"] - rows["target"]).abs()
        ax.scatter(rows["n"], error.clip(lower=1e-300), s=6, alpha=0.25, color=colour)
        rmse = np.sqrt((error**2).groupby(rows["n"]).mean())
        ax.plot(rmse.index, rmse.values, "o-", color=colour, label=f"{name}: RMS |θ̂ − θ|")
        n0 = rmse.index[0]
        ax.plot(rmse.index, rmse.iloc[0] * np.sqrt(n0 / rmse.index), ":", color=colour)
    _n_axis(ax, frame["n"])
    ax.set_yscale("log")
    ax.set_ylabel("|θ̂ − θ|")
    ax.set_title("Error of the MLE; dotted: slope N^(−1/2)")
    ax.legend(frameon=False, fontsize=8)
    return encode(fig)


def akaike_figure(frame: pd.DataFrame) -> str:
    """N · E[KL(p ‖ q_θ̂)] against N, ±2 Monte Carlo SE, and the line k/2."""
    ok = certified(frame).drop_duplicates(["n", "rep"])
    scaled = ok["n"] * ok["kl_true"]
    by_n = scaled.groupby(ok["n"])
    mean, se = by_n.mean(), by_n.std(ddof=1) / np.sqrt(by_n.count())
    k = int(frame["k"].iloc[0])
    fig, (ax,) = _subplots()
    ax.errorbar(
        mean.index,
        mean.values,
        yerr=2 * se.fillna(0).values,
        fmt="o-",
        capsize=3,
        label="N · mean KL(p ‖ q_θ̂) ± 2 SE",
    )
    ax.axhline(k / 2, color="#d62728", ls="--", label=f"k/2 = {k / 2:g}")
    _n_axis(ax, frame["n"])
    ax.set_ylim(bottom=0)
    ax.set_ylabel("N · E[KL]")
    ax.set_title("N · E[KL(p ‖ q_θ̂)] tends to k/2 (Akaike)")
    ax.legend(frameon=False, fontsize=8)
    return encode(fig)


def sampling_figure(frame: pd.DataFrame) -> str:
    """√N(θ̂ − θ) at the largest N against the normal with the inverse Fisher information."""
    ok = certified(frame)
    top = ok[ok["n"] == ok["n"].max()]
    names = list(dict.fromkeys(top["parameter"]))
    fig, axes = _subplots(len(names), width=3.8)
    for ax, name in zip(axes, names, strict=True):
        rows = top[top["parameter"] == name]
        z = np.sqrt(rows["n"]) * (rows["estimate"] - rows["target"])
        sd = float(rows["asymptotic_sd"].iloc[0])
        ax.hist(z, bins="auto", density=True, color="#c6dbef", edgecolor="#6baed6")
        grid = np.linspace(-4 * sd, 4 * sd, 200)
        ax.plot(grid, stats.norm.pdf(grid, 0, sd), color="#08306b", label=f"N(0, {sd:.3g}²)")
        ax.set_xlabel("√N (θ̂ − θ)")
        ax.set_title(f"{name}, N = {int(top['n'].iloc[0])}")
        ax.legend(frameon=False, fontsize=8)
    return encode(fig)


def pseudo_true_figure(frame: pd.DataFrame) -> str:
    """Estimates against N, their mean ± sd, and the pseudo-true value θ*."""
    ok = certified(frame)
    names = list(dict.fromkeys(ok["parameter"]))
    fig, axes = _subplots(len(names), width=4.2)
    for ax, name in zip(axes, names, strict=True):
        rows = ok[ok["parameter"] == name]
        ax.scatter(rows["n"], rows["estimate"], s=6, alpha=0.25, color=COLOURS[0])
        by_n = rows.groupby("n")["estimate"]
        mean, sd = by_n.mean(), by_n.std(ddof=1).fillna(0)
        ax.errorbar(
            mean.index,
            mean.values,
            yerr=sd.values,
            fmt="o-",
            capsize=3,
            color=COLOURS[0],
            label="mean ± sd",
        )
        ax.axhline(
            float(rows["target"].iloc[0]), color="#d62728", ls="--", label="θ* (pseudo-true)"
        )
        _n_axis(ax, frame["n"])
        ax.set_title(name)
        ax.legend(frameon=False, fontsize=8)
    return encode(fig)


def coverage_figure(frame: pd.DataFrame) -> str:
    """Coverage of θ* by the model-based and the sandwich 95 % intervals, against N."""
    ok = certified(frame)
    names = list(dict.fromkeys(ok["parameter"]))
    fig, axes = _subplots(len(names), width=4.2)
    for ax, name in zip(axes, names, strict=True):
        rows = ok[ok["parameter"] == name]
        reps = rows.groupby("n").size()
        band = 2 * np.sqrt(0.95 * 0.05 / reps)
        ax.fill_between(
            reps.index,
            0.95 - band,
            np.minimum(0.95 + band, 1),
            color="#eeeeee",
            label="0.95 ± 2 MC SE",
        )
        ax.axhline(0.95, color="#888888", lw=1)
        for column, colour, label in (
            ("covered_model", COLOURS[1], "model-based SE"),
            ("covered_sandwich", COLOURS[0], "sandwich SE"),
        ):
            cover = rows.groupby("n")[column].mean()
            ax.plot(cover.index, cover.values, "o-", color=colour, label=label)
        _n_axis(ax, frame["n"])
        ax.set_ylim(max(0.0, min(0.5, ax.get_ylim()[0])), 1.01)
        ax.set_ylabel("coverage of θ*")
        ax.set_title(name)
        ax.legend(frameon=False, fontsize=8)
    return encode(fig)


def gap_figure(frame: pd.DataFrame) -> str:
    """|minimiser − MLE| against the bandwidth, log-log, by smoother and parameter."""
    ok = frame[frame["status"] == "ok"]
    fig, (ax,) = _subplots()
    groups = ok.groupby(["smoother", "parameter"], sort=False)
    for colour, ((smoother, name), rows) in zip(COLOURS, groups, strict=False):
        style = "o-" if smoother == "kde" else "s--"
        gap = rows["gap"].abs().clip(lower=1e-16)
        ax.plot(rows["bandwidth"], gap, style, color=colour, label=f"{smoother}: {name}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("bandwidth h")
    ax.set_ylabel("|argmin KL(p̂_h ‖ q) − MLE|")
    ax.set_title("The smoothed minimiser tends to the MLE as h → 0")
    ax.legend(frameon=False, fontsize=8)
    return encode(fig)


def reverse_figure(frame: pd.DataFrame, data: np.ndarray) -> str:
    """The data, p̂_h, the forward fit and every reverse local minimum, as densities."""
    arguments = frame.attrs.get("arguments", {})
    family = get_family(arguments.get("family", "normal"))
    options = arguments.get("options", {})
    h = float(frame["bandwidth"].iloc[0])
    x = np.asarray(data, dtype=float)
    kde = kde_grid(x, bandwidth=h)
    fig, (ax,) = _subplots(width=7.0, height=4.0)
    ax.hist(x, bins="auto", density=True, color="#e6e6e6", label="data")
    ax.plot(kde.points, np.exp(kde.log_density), color="#555555", lw=1, label=f"p̂_h (h = {h:g})")
    for (direction, optimum), rows in frame.groupby(["direction", "optimum"], sort=False):
        params = _params(family, rows, options)
        density = np.exp(family.logpdf(kde.points, params, options))
        forward = direction == "forward"
        kl = float(rows["kl"].iloc[0])
        label = (
            f"forward: argmin KL(p̂_h ‖ q), KL = {kl:.3g}"
            if forward
            else f"reverse optimum {optimum}: KL(q ‖ p̂_h) = {kl:.3g}"
        )
        colour = "#1f77b4" if forward else COLOURS[1 + int(optimum) % (len(COLOURS) - 1)]
        ax.plot(kde.points, density, "-" if forward else "--", color=colour, lw=2, label=label)
    ax.set_xlabel("x")
    ax.set_ylabel("density")
    ax.set_title(f"{family.name}: mean-seeking forward KL, mode-seeking reverse KL")
    ax.legend(frameon=False, fontsize=8)
    return encode(fig)


def prior_figure(frame: pd.DataFrame) -> str:
    """Mean |MAP − MLE| against N, log-log, with the 1/N line through the first size."""
    ok = certified(frame, engine="map")
    fig, (ax,) = _subplots()
    for colour, (name, rows) in zip(COLOURS, ok.groupby("parameter", sort=False), strict=False):
        gap = rows["gap"].abs().groupby(rows["n"]).mean()
        ax.plot(gap.index, gap.values, "o-", color=colour, label=f"{name}: mean |MAP − MLE|")
        ax.plot(gap.index, gap.iloc[0] * gap.index[0] / gap.index, ":", color=colour)
    _n_axis(ax, frame["n"])
    ax.set_yscale("log")
    ax.set_ylabel("|MAP − MLE|")
    ax.set_title("The prior's pull fades like 1/N (dotted)")
    ax.legend(frameon=False, fontsize=8)
    return encode(fig)


def _n_axis(ax, sizes) -> None:
    """A log axis of sample sizes, ticked at the sizes of the study."""
    ticks = sorted(set(int(n) for n in sizes))
    ax.set_xscale("log")
    ax.set_xticks(ticks, [f"{n:,}" for n in ticks])
    ax.minorticks_off()
    ax.set_xlabel("N")


def _params(family, rows: pd.DataFrame, options) -> dict:
    """Natural parameters by variable from flat rows (``p[0]``, ``p[1]``, ... stacked)."""
    values = dict(zip(rows["parameter"], rows["estimate"], strict=True))
    shapes = family.param_shapes(family.resolve_options(None, options))
    out = {}
    for name in family.params:
        if shapes[name]:
            out[name] = np.array(
                [values[f"{name}[{i}]"] for i in range(int(np.prod(shapes[name])))]
            )
        else:
            out[name] = values[name]
    return out
