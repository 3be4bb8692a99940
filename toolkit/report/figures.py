"""Figures of a report, each returned as a compact PNG (:class:`~toolkit.report.html.Picture`).

matplotlib is switched to the Agg backend inside :func:`_pyplot`, never at import
time; every figure is drawn under the report's own style (:func:`styled`, which
leaves the user's rcParams alone) and closed once encoded. PNGs are reduced to a
palette of at most 128 colours, a third of the size of full colour for these
line drawings, so that the demo's page stays under 3 MB. They are compressed at
zlib's default level (:data:`PNG_LEVEL`): level 9 made them 7 % smaller for ten
times the time (1.3 s of the demo's drawing, against 0.15 s), the same pixels.
"""

from __future__ import annotations

import base64
import functools
import io

import numpy as np

from toolkit.report.html import VERDICT_COLOURS, VERDICT_SYMBOLS, Picture
from toolkit.report.stats import calibration_bins
from toolkit.report.tables import parameter_labels, prior_pull

DPI = 90
#: Colours of a compact PNG.
PALETTE = 128
#: zlib level of a compact PNG (PIL's default).
PNG_LEVEL = 6
ENGINE_STYLE = {
    "mle": {"color": "#1f77b4", "ls": "-", "marker": "o"},
    "kl": {"color": "#d62728", "ls": "--", "marker": "x"},
    "closed_form": {"color": "#2ca02c", "ls": ":", "marker": "s"},
    "scipy": {"color": "#9467bd", "ls": "-.", "marker": "^"},
    "find_map": {"color": "#ff7f0e", "ls": (0, (1, 3)), "marker": "v"},
    "map": {"color": "#8c564b", "ls": (0, (5, 2)), "marker": "d"},
}
#: The report's matplotlib style: text legible when a figure is shown 800 px wide.
STYLE = {
    "font.size": 10,
    "axes.titlesize": 10.5,
    "axes.labelsize": 10,
    "legend.fontsize": 9.5,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "figure.dpi": DPI,
}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def styled(draw):
    """Run a figure function under :data:`STYLE` (restored after)."""

    @functools.wraps(draw)
    def wrapper(*args, **kwargs):
        plt = _pyplot()
        with plt.rc_context(STYLE):
            return draw(*args, **kwargs)

    return wrapper


def _figure(*args, **kwargs):
    return _pyplot().subplots(*args, layout="constrained", **kwargs)


def mpl_text(text: object) -> str:
    """A user's string as matplotlib text: ``$`` would start mathtext, so it is escaped."""
    return str(text).replace("$", r"\$")


def encode(fig, *, tight: bool = False) -> Picture:
    """The figure as a compact PNG ``data:`` URI with its size; the figure is closed.

    ``tight`` crops to the drawn content (figures laid out by ArviZ, whose long
    labels can reach past the edge).
    """
    from PIL import Image

    rgb = rendered(fig, tight=tight)
    palette = rgb.quantize(PALETTE, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    palette.save(out, format="PNG", compress_level=PNG_LEVEL)
    uri = "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")
    return Picture(uri, rgb.width, rgb.height)


def rendered(fig, *, tight: bool = False):
    """The figure drawn at :data:`DPI` as a PIL RGB image, as ``savefig`` draws it; closed.

    ``savefig`` draws a figure twice when it has a layout engine or a tight box: once
    with drawing switched off, to lay it out and measure the box, then for real. Here
    the layout is run once and the box measured without that first draw, and savefig
    then draws once: the same pixels (tests/toolkit/report/test_report_figures.py) for
    a third less work. The PNG in between is not compressed (it is read back at once).
    """
    from PIL import Image

    plt = _pyplot()
    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format="png", dpi=DPI, bbox_inches=_laid_out(fig, tight),
                    pil_kwargs={"compress_level": 0})  # fmt: skip
    finally:
        plt.close(fig)
    buffer.seek(0)
    with Image.open(buffer) as image:
        return image.convert("RGB")


def _laid_out(fig, tight: bool):
    """Run the figure's layout engine once (then none), and return its tight box or None.

    What ``savefig`` would do before drawing, done only where it gives the same result:
    at the figure's own resolution and the default padding; otherwise nothing is done
    here and savefig does it all.
    """
    import matplotlib

    pad = matplotlib.rcParams["savefig.pad_inches"]
    bbox = matplotlib.rcParams["savefig.bbox"] if not tight else "tight"
    if fig.dpi != DPI or not isinstance(pad, float) or bbox not in (None, "tight"):
        return "tight" if tight else None
    renderer = fig.canvas.get_renderer()
    engine = fig.get_layout_engine()
    if engine is not None:
        engine.execute(fig)
        fig.set_layout_engine("none")
    if bbox != "tight":
        return None
    return fig.get_tightbbox(renderer).padded(pad)


@styled
def fit_figure(entry) -> Picture:
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
    ax.set_title(mpl_text(f"{entry.family} fitted to {entry.dataset} (N = {entry.n})"))
    ax.legend(frameon=False)
    return encode(fig)


@styled
def profile_figure(entry, profiles) -> Picture:
    """KL(p̂‖q_θ) and −ℓ(θ)/N along each parameter, on twin axes offset by H(p̂).

    One legend for the figure, above the panels.
    """
    plt = _pyplot()
    k = len(profiles)
    cols = min(k, 2)
    rows = -(-k // cols)
    fig, axes = plt.subplots(
        rows, cols, figsize=(3.9 * cols + 0.4, 2.6 * rows + 0.8), squeeze=False,
        layout="constrained",
    )  # fmt: skip
    handles = None
    for ax, profile in zip(axes.flat, profiles, strict=False):
        handles = _profile_panel(ax, entry, profile) or handles
    for ax in list(axes.flat)[k:]:
        ax.set_visible(False)
    if handles:
        fig.legend(*handles, loc="outside upper center", ncol=3 if cols > 1 else 2, frameon=False)
    return encode(fig)


def _profile_panel(ax, entry, profile):
    ok = np.isfinite(profile.kl) & np.isfinite(profile.neg_loglik)
    grid, kl, nll = profile.grid[ok], profile.kl[ok], profile.neg_loglik[ok]
    name = mpl_text(profile.parameter)
    if grid.size == 0:
        ax.set_title(name)
        ax.text(0.5, 0.5, "not finite here", ha="center", transform=ax.transAxes)
        return None
    offset = float(np.median(nll - kl))  # = H(p̂) (or its estimate): constant in θ
    if abs(offset) <= 1e-12 * max(1.0, float(np.max(np.abs(kl)))):
        offset = 0.0  # rounding noise of a zero offset (continuous responses)
    ax.plot(grid, kl, color="#d62728", lw=3, alpha=0.6, label="KL(p̂‖q_θ), left axis")
    twin = ax.twinx()
    twin.plot(grid, nll, color="#1f77b4", lw=1.5, ls="--", label="−ℓ(θ)/N, right axis")
    lo, hi = ax.get_ylim()
    twin.set_ylim(lo + offset, hi + offset)
    i_kl, i_nll = int(np.argmin(kl)), int(np.argmin(nll))
    ax.plot(grid[i_kl], kl[i_kl], "v", color="#d62728", ms=10, label="minimum of KL")
    twin.plot(grid[i_nll], nll[i_nll], "^", color="#1f77b4", ms=8, label="minimum of −ℓ/N")
    for engine in ("mle", "kl"):
        if engine in entry.estimates.columns:
            style = ENGINE_STYLE[engine]
            ax.axvline(
                entry.estimates.loc[profile.parameter, engine], lw=0.9, color=style["color"],
                ls=style["ls"], label=f"{engine} estimate",
            )  # fmt: skip
    ax.set_xlabel(name)
    left = "cross-entropy" if entry.kl_kind == "cross-entropy" else "KL(p̂‖q_θ)"
    ax.set_ylabel(left, color="#d62728")
    shift = f" + {offset:.4g}" if offset else ""
    twin.set_ylabel(f"−ℓ/N = {left.split('(')[0]}{shift}", color="#1f77b4")
    ax.ticklabel_format(axis="y", useOffset=False)
    twin.ticklabel_format(axis="y", useOffset=False)
    own, theirs = ax.get_legend_handles_labels(), twin.get_legend_handles_labels()
    return own[0] + theirs[0], own[1] + theirs[1]


@styled
def calibration_figure(entry) -> Picture:
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


@styled
def fitted_figure(entry) -> Picture:
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
    response = mpl_text(design["response"])
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
    ax.legend(frameon=False, loc="upper left")
    if one:
        _covariate_panel(axes[0, 1], response, y, mpl_text(columns[0]), x[:, 0], fitted)
    return encode(fig)


def _covariate_panel(ax, response, y, name: str, x: np.ndarray, fitted: np.ndarray) -> None:
    order = np.argsort(x, kind="stable")
    ax.plot(x, y, ".", ms=3, alpha=0.5, color="#6baed6", label=f"data: {response}")
    ax.plot(x[order], fitted[order], color="#08306b", lw=2, label="fitted mean at the MLE")
    ax.set_xlabel(name)
    ax.set_ylabel(response)
    ax.set_title(f"{response} against {name}")
    ax.legend(frameon=False)


@styled
def prior_pull_figure(entry) -> Picture:
    """(MAP − MLE) / SE per parameter: how far the model's priors pull each estimate."""
    from matplotlib.ticker import MaxNLocator

    pull = prior_pull(entry)
    fig, ax = _figure(figsize=(5.6, 1.4 + 0.35 * len(pull)))
    y = np.arange(len(pull))[::-1]
    values = pull.to_numpy(float)
    ax.barh(y, values, color=ENGINE_STYLE["map"]["color"], height=0.6, label="MAP (with priors)")
    ax.axvline(0.0, color="#1f77b4", lw=1.5, label="MLE (priors dropped)")
    finite = np.abs(values[np.isfinite(values)])
    half = 1.25 * max(float(finite.max()) if finite.size else 0.0, 0.05)
    ax.set_xlim(-half, half)  # symmetric: the direction of the pull is visible
    ax.xaxis.set_major_locator(MaxNLocator(5, symmetric=True))
    labels = parameter_labels(entry)
    ax.set_yticks(y, [mpl_text(labels[p]) for p in pull.index])
    ax.set_xlabel("(MAP − MLE) / SE   [standard errors]")
    ax.set_title("The priors' pull on each estimate")
    fig.legend(frameon=False, loc="outside upper center", ncol=2)
    return encode(fig)


#: |Δθ|/SE below this is drawn at it on the headline's log axis (0 included).
HEADLINE_FLOOR = 1e-16


@styled
def headline_figure(entries, counted: dict[str, list[str]], tolerance: float) -> Picture:
    """Every comparison on one log axis: each engine's largest |θ − θ_mle| / SE.

    ``counted`` maps an entry's key to the engines its verdict counted; the others
    are drawn hollow. Left of the dashed line (the tolerance) is agreement; the
    ``kl`` engine's distance is the identity measured: the minimiser of KL(p̂‖q_θ)
    found directly against the maximiser of ℓ(θ).
    """
    from matplotlib.lines import Line2D

    rows = len(entries)
    fig, ax = _figure(figsize=(8.6, 1.6 + 0.27 * rows))
    y = np.arange(rows)[::-1]
    engines = [e for e in ENGINE_STYLE if e != "mle" and any(e in x.estimates for x in entries)]
    highest = tolerance
    for row, entry in zip(y, entries, strict=True):
        distance = entry.se_difference
        for engine in engines:
            if engine not in distance.index or not np.isfinite(distance[engine]):
                continue
            value = max(float(distance[engine]), HEADLINE_FLOOR)
            highest = max(highest, value)
            style = ENGINE_STYLE[engine]
            hollow = engine not in counted[entry.key]
            ax.plot(
                value, row, style["marker"], ms=8 if engine == "kl" else 7, mew=1.3,
                color=style["color"], mfc="none" if hollow else style["color"], alpha=0.9,
            )  # fmt: skip
    ax.set_xscale("log")
    ax.set_xlim(HEADLINE_FLOOR / 3, max(highest * 10, 10.0))
    ax.axvspan(HEADLINE_FLOOR / 3, tolerance, color="#1a7f37", alpha=0.07, lw=0)
    ax.axvline(tolerance, color="#1a7f37", ls="--", lw=1)
    ax.text(tolerance, -0.55, f" tolerance\n {tolerance:g} SE", color="#1a7f37", fontsize=8,
            va="bottom")  # fmt: skip
    labels = [mpl_text(_row_label(e)) for e in entries]
    ax.set_yticks(y, labels, fontsize=8.5)
    ax.set_ylim(-0.7, rows - 0.1)
    right = ax.twinx()
    right.set_ylim(ax.get_ylim())
    verdicts = [f"{VERDICT_SYMBOLS.get(e.verdict, '•')} {e.verdict}" for e in entries]
    right.set_yticks(y, verdicts, fontsize=8.5)
    for label, entry in zip(right.get_yticklabels(), entries, strict=True):
        label.set_color(VERDICT_COLOURS.get(entry.verdict, "#57606a"))
    right.tick_params(axis="y", length=0)
    ax.grid(axis="x", color="#eaeef2", lw=0.6)
    ax.set_xlabel("largest |θ − θ_mle| / SE over the parameters (log scale)")
    handles = [
        Line2D([], [], ls="", marker=ENGINE_STYLE[e]["marker"], color=ENGINE_STYLE[e]["color"],
               label=e if e != "kl" else "kl: argmin KL(p̂‖q_θ)")
        for e in engines
    ]  # fmt: skip
    handles.append(Line2D([], [], ls="", marker="o", mfc="none", color="#57606a",
                          label="hollow: not counted"))  # fmt: skip
    fig.legend(handles=handles, loc="outside upper center", ncol=len(handles), frameon=False,
               fontsize=8.5, handletextpad=0.3, columnspacing=1.0)  # fmt: skip
    return encode(fig)


def _row_label(entry) -> str:
    """``family`` for its own simulated data, else ``family · dataset`` (without a citation)."""
    dataset = entry.dataset.removesuffix(f" {entry.family}")
    if dataset == "simulated":
        return entry.family
    return f"{entry.family} · {dataset.split(' (')[0]}"
