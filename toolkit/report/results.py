"""Results a report is drawn from: comparisons as InferenceData, saved as plain ArviZ files.

A report never needs a :class:`~toolkit.compare.Comparison`: it is drawn from
each comparison's ``arviz.InferenceData`` (see :mod:`toolkit.report.inference_data`),
so ``klmle report RESULTS`` re-renders exactly what ``klmle demo`` drew.

Layout: every comparison is one plain InferenceData netCDF file, which
``arviz.from_netcdf`` opens as it is (groups ``posterior``, ``log_likelihood``,
``observed_data``, ``comparison``, ``diagnostics``). Its root attributes hold
``klmle_results`` (the format version), ``klmle_key``, ``klmle_dataset``,
``klmle_source`` and ``klmle_order``. One comparison is saved as a file
(``out.nc``); several as a folder of ``KEY.nc`` files (``demo/``).
:func:`load_results` reads either, by key.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from toolkit.quiet import quiet
from toolkit.report.files import (
    atomic_write,
    remove,
    remove_stale,
    temporary_name,
    usual_mode,
)

#: Version of what a results file holds; files of another version are refused by name.
#: 3: one plain InferenceData file per comparison (2: comparisons nested in one file).
FORMAT_VERSION = 3
_ENGINE = "h5netcdf"
#: Groups a klmle results file must hold.
_REQUIRED = ("comparison", "diagnostics", "observed_data")


class ResultsError(ValueError):
    """A results file that is missing, unreadable or not written by klmle."""


@dataclass(frozen=True)
class ReportEntry:
    """One model fitted to one dataset, as its report draws it: from saved numbers alone.

    What a section shows is decided by what the entry holds (a fitted density on a
    grid, a design, a ``map`` column, several starts), never by a kind of model.

    Parameters
    ----------
    key : str
        Unique identifier among the entries of a report (also the results file's name,
        ``KEY.nc``, and the section's anchor).
    dataset : str
        Name of the dataset; entries with the same name are ranked together.
    source : str
        Where the data came from (a file, "simulated, seed ...", a citation).
    idata : arviz.InferenceData
        The comparison, with ``comparison`` and ``diagnostics`` groups (see
        :mod:`toolkit.report.inference_data`).
    """

    key: str
    dataset: str
    source: str
    idata: object

    @classmethod
    def from_inference_data(cls, idata) -> ReportEntry:
        """The entry of an InferenceData read from a results file (key, dataset and source
        in its attributes)."""
        attrs = idata.attrs
        return cls(
            str(attrs["klmle_key"]), str(attrs["klmle_dataset"]), str(attrs["klmle_source"]), idata
        )

    @property
    def attrs(self) -> dict:
        return dict(self.idata.comparison.attrs)

    @property
    def family(self) -> str:
        """The catalog family's name, or the label of a user's model."""
        return str(self.attrs["family"])

    @property
    def label(self) -> str:
        """The comparison's label: the family, or the regression formula, or the model's name."""
        return str(self.attrs["label"])

    @property
    def options(self) -> dict:
        return json.loads(self.attrs["options"])

    @property
    def verdict(self) -> str:
        return str(self.attrs["verdict"])

    @property
    def reasons(self) -> list[str]:
        return list(json.loads(self.attrs["reasons"]))

    @property
    def n(self) -> int:
        return int(self.attrs["n"])

    @property
    def discrete(self) -> bool:
        return bool(int(self.attrs["discrete"]))

    @cached_property
    def data(self) -> np.ndarray | None:
        """The observations of a one-sample family (None for rows with covariates)."""
        if "x" not in self.idata.observed_data:
            return None
        return np.asarray(self.idata.observed_data["x"].values, dtype=float)

    @cached_property
    def estimates(self) -> pd.DataFrame:
        ds = self.idata.comparison
        return pd.DataFrame(
            ds["estimate"].values,
            index=[str(p) for p in ds["parameter"].values],
            columns=[str(e) for e in ds["engine"].values],
        )

    @cached_property
    def se(self) -> pd.Series:
        return pd.Series(self.idata.comparison["se"].values, index=self.estimates.index)

    def by_engine(self, name: str) -> pd.Series:
        """A per-engine variable of the comparison group (``loglik``, ``kl``, ``cert_seconds``)."""
        return pd.Series(self.idata.comparison[name].values, index=self.estimates.columns)

    @cached_property
    def certificates(self) -> pd.DataFrame:
        ds = self.idata.comparison
        columns = {str(v)[5:]: ds[v].values for v in ds.data_vars if str(v).startswith("cert_")}
        return pd.DataFrame(columns, index=self.estimates.columns)

    @property
    def se_difference(self) -> pd.Series:
        """max |θ_engine − θ_mle| / SE by engine, as the verdict counts it."""
        return self.by_engine("se_difference")

    @property
    def not_judged(self) -> list[str]:
        """Engines reported but left out of the verdict (those that use a model's priors)."""
        return list(json.loads(self.attrs["not_judged"]))

    @property
    def multistart(self) -> dict:
        """Starts and distinct optima by engine, where the engines ran from several starts."""
        return dict(json.loads(self.attrs["multistart"]))

    @property
    def design(self) -> dict | None:
        """Family, response, design columns and mean function of a regression; else None."""
        return json.loads(self.attrs["design"])

    @property
    def argmax_sets(self) -> dict[str, tuple[float, float]]:
        """Parameters whose maximiser is a set, with its bounds."""
        return {k: tuple(v) for k, v in json.loads(self.attrs["argmax_sets"]).items()}

    @property
    def k_free(self) -> int:
        """Free parameters for AIC/BIC (a simplex of k probabilities has k − 1)."""
        return int(self.attrs["k_free"])

    @property
    def has_posterior(self) -> bool:
        return "posterior" in self.idata.groups()

    @property
    def posterior_kind(self) -> str:
        """How the posterior group was drawn: "laplace" or "nuts"."""
        return str(self.attrs["posterior"])

    @property
    def no_posterior(self) -> str:
        """Why there is no posterior group, in words ("" when there is one)."""
        return str(self.attrs["no_posterior"])

    @property
    def posterior_note(self) -> str:
        """Why the posterior is not the one asked for (NUTS for a non-smooth parameter), or ""."""
        return str(self.attrs.get("posterior_note", ""))

    @property
    def kl_kind(self) -> str:
        """What the saved KL is: "exact", "estimate" or "cross-entropy"."""
        return str(self.attrs["kl_kind"])

    @property
    def kl_error(self) -> pd.Series:
        """By engine: the rounding level of an exact KL, or the SE of an estimate (NaN)."""
        return self.by_engine("kl_error")

    @property
    def diagnostics(self):
        return self.idata.diagnostics

    def has(self, name: str) -> bool:
        """Does the diagnostics group hold ``name`` (``grid_x``, ``fitted_mean``, ...)?"""
        return name in self.diagnostics.data_vars

    @cached_property
    def profiles(self) -> list[Profile]:
        """KL(p̂‖q_θ) and −ℓ(θ)/N along each parameter, as saved."""
        ds = self.diagnostics
        return [
            Profile(
                name,
                np.asarray(ds["profile_value"].values[i], dtype=float),
                np.asarray(ds["profile_neg_loglik"].values[i], dtype=float),
                np.asarray(ds["profile_kl"].values[i], dtype=float),
            )
            for i, name in enumerate(self.estimates.index)
        ]

    @property
    def calibration_kind(self) -> str | None:
        """ "QQ" or "PP" when calibration points were saved."""
        return self.diagnostics.attrs.get("calibration")

    @property
    def goodness_of_fit(self) -> list[tuple[str, float, float, str]]:
        """(test, statistic, p-value, note) rows, as saved (empty when there are none)."""
        ds = self.diagnostics
        if "gof_tests" not in ds.attrs:
            return []
        tests = json.loads(ds.attrs["gof_tests"])
        return [
            (name, float(s), float(p), str(note))
            for name, s, p, note in zip(
                tests,
                ds["gof_statistic"].values,
                ds["gof_p_value"].values,
                ds["gof_note"].values,
                strict=True,
            )
        ]

    @property
    def elpd(self):
        """The saved PSIS-LOO result as ``arviz.ELPDData``, or None."""
        from arviz import ELPDData

        text = self.diagnostics.attrs.get("elpd")
        if text is None:
            return None
        summary = json.loads(text)
        loo_i = xr.DataArray(self.diagnostics["elpd_loo_i"].values, dims=["observation"])
        pareto_k = xr.DataArray(self.diagnostics["pareto_k"].values, dims=["observation"])
        return ELPDData(
            data=[
                summary["elpd_loo"], summary["se"], summary["p_loo"], summary["n_samples"],
                summary["n_data_points"], summary["warning"], loo_i, pareto_k, summary["scale"],
                summary["good_k"],
            ],
            index=["elpd_loo", "se", "p_loo", "n_samples", "n_data_points", "warning", "loo_i",
                   "pareto_k", "scale", "good_k"],
        )  # fmt: skip


@dataclass(frozen=True)
class Profile:
    """−ℓ(θ)/N and KL(p̂‖q_θ) along one parameter, the others held at the MLE."""

    parameter: str
    grid: np.ndarray
    neg_loglik: np.ndarray
    kl: np.ndarray


def entry_from_comparison(
    cmp, *, key: str, dataset: str, source: str, posterior: str = "laplace"
) -> ReportEntry:
    """Wrap a :class:`~toolkit.compare.Comparison` for the report.

    Parameters
    ----------
    cmp : Comparison
    key, dataset, source : str
        See :class:`ReportEntry`.
    posterior : {"laplace", "nuts"}
        The posterior group: a Laplace approximation at the MLE, or NUTS draws.

    Returns
    -------
    ReportEntry
    """
    with quiet():
        idata = cmp.to_inference_data(posterior=posterior)
    return ReportEntry(key=key, dataset=dataset, source=source, idata=idata)


def results_path(path: str | os.PathLike, count: int) -> Path:
    """Where results of ``count`` comparisons go for a report or results name ``path``.

    One comparison: the file ``NAME.nc``; several: the folder ``NAME/``.

    Examples
    --------
    >>> str(results_path("reports/out.html", 1)), str(results_path("reports/demo.html", 24))
    ('reports/out.nc', 'reports/demo')
    """
    path = Path(path)
    return path.with_suffix(".nc") if count == 1 else path.with_suffix("")


def save_results(
    entries: list[ReportEntry],
    path: str | os.PathLike,
    *,
    unit: str | None = None,
    written: Mapping[str, Path] | None = None,
) -> Path:
    """Write the entries as plain InferenceData files: one ``.nc`` file, or a folder of them.

    Parameters
    ----------
    entries : list of ReportEntry
    path : path-like
        ``NAME.nc`` for one entry (written to a temporary file, then renamed); for
        several entries (or a path without ``.nc``), the folder ``NAME/`` with one
        ``KEY.nc`` per entry (built beside it under a hidden name, then renamed).
    unit : str, optional
        Identifier of the report these results belong to, saved in each file.
    written : mapping, optional
        Files already written by :func:`write_entry` for some entries (by key), with
        this ``unit`` and their position in ``entries`` as ``order``: moved into place
        instead of written again (see :class:`toolkit.report.workers.ReportWorkers`).

    Returns
    -------
    pathlib.Path
        The written file or folder.
    """
    check_keys(entries)
    path = Path(path)
    written = written or {}
    if path.suffix == ".nc" and len(entries) == 1:
        atomic_write(path, lambda tmp: _place(entries[0], tmp, 0, unit, written))
        return path
    folder = path.with_suffix("") if path.suffix == ".nc" else path
    _write_folder(entries, folder, unit, written)
    return folder


def check_keys(entries: Sequence[ReportEntry]) -> None:
    """ValueError unless there are entries and their keys are distinct plain file names."""
    if not entries:
        raise ValueError("save_results needs at least one entry")
    keys = [e.key for e in entries]
    if len(set(keys)) != len(keys) or not all(_plain_key(k) for k in keys):
        raise ValueError(f"entry keys must be distinct plain file names, got {keys}")


def _plain_key(key: str) -> bool:
    return bool(key) and not key.startswith(".") and all(c not in key for c in "/\\\0")


def _place(entry: ReportEntry, path: Path, order: int, unit, written: Mapping[str, Path]) -> None:
    """The entry's file at ``path``: the one already written, moved, or written now."""
    if entry.key in written:
        with contextlib.suppress(OSError):  # (another file system: written again)
            os.replace(written[entry.key], path)
            return
    write_entry(entry, path, order=order, unit=unit)


def write_entry(entry: ReportEntry, path: Path, *, order: int, unit: str | None) -> None:
    """``entry`` as one plain InferenceData file at ``path``, as :func:`save_results` writes
    it at position ``order`` of a unit ``unit``."""
    import arviz as az

    attrs = {
        "klmle_results": FORMAT_VERSION,
        "klmle_key": entry.key,
        "klmle_dataset": entry.dataset,
        "klmle_source": entry.source,
        "klmle_order": order,
    }
    if unit is not None:
        attrs["klmle_unit"] = unit
    groups = {g: entry.idata[g] for g in entry.idata.groups()}
    with quiet():
        az.InferenceData(attrs=attrs, **groups).to_netcdf(str(path), engine=_ENGINE)


def _write_folder(
    entries: list[ReportEntry], folder: Path, unit: str | None, written: Mapping[str, Path]
) -> None:
    """The folder of ``KEY.nc`` files, built under a hidden name beside it, then renamed."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{folder.name}"
    remove_stale(folder.parent, prefix + ".")
    tmp = folder.parent / temporary_name(prefix)
    try:
        tmp.mkdir()
        for order, entry in enumerate(entries):
            file = tmp / f"{entry.key}.nc"
            _place(entry, file, order, unit, written)
            usual_mode(file)
        if folder.is_symlink() or folder.is_file():
            os.replace(tmp, folder)
        elif folder.exists():  # an earlier folder: moved aside, then removed
            old = folder.parent / (temporary_name(prefix) + ".old")
            os.rename(folder, old)
            os.rename(tmp, folder)
            remove(old)
        else:
            os.rename(tmp, folder)
    except BaseException:
        remove(tmp)
        raise


def locate_results(path: str | os.PathLike) -> Path:
    """The results file or folder that ``path`` names (a report's path names its results).

    ``out.nc`` or ``demo/`` as they are; ``out.html`` -> ``out.nc`` or ``out/`` (the one
    the report's unit links to first, see :mod:`toolkit.report.unit`); ``demo.nc`` ->
    ``demo/`` when there is no such file.
    """
    path = Path(path)
    if path.is_dir() or (path.is_file() and path.suffix == ".nc"):
        return path
    candidates = [
        c for c in (path.with_suffix(".nc"), path.with_suffix("")) if c != path and c.exists()
    ]
    candidates.sort(key=lambda c: not c.is_symlink())  # a unit's own link before a leftover
    if candidates:
        return candidates[0]
    raise ResultsError(f"no such results file or folder: {path}")


def load_results(path: str | os.PathLike) -> dict:
    """The comparisons saved at ``path``, as ``arviz.InferenceData`` by key.

    Parameters
    ----------
    path : path-like
        A results file (``out.nc``), a results folder (``reports/demo``), or the
        report they were written with (``out.html``, ``reports/demo.html``).

    Returns
    -------
    dict of str to arviz.InferenceData
        In the order of the report's sections; each holds the groups described in
        :mod:`toolkit.report.inference_data`, and ``attrs`` with the key, dataset
        and source.

    Raises
    ------
    ResultsError
        If nothing is there, or it is unreadable, or not written by this version of klmle.
    """
    location = locate_results(path)
    files = (
        sorted(p for p in location.iterdir() if p.suffix == ".nc" and not p.name.startswith("."))
        if location.is_dir()
        else [location]
    )
    if not files:
        raise ResultsError(f"{location} holds no comparisons (.nc files)")
    loaded = [(_read(file), file) for file in files]
    loaded.sort(key=lambda item: (int(item[0].attrs["klmle_order"]), item[1].name))
    results = {}
    for idata, _file in loaded:
        key = str(idata.attrs["klmle_key"])
        if key in results:
            raise ResultsError(f"{location}: two comparisons have the key {key!r}")
        results[key] = idata
    return results


def load_entries(path: str | os.PathLike) -> list[ReportEntry]:
    """The comparisons saved at ``path`` (see :func:`load_results`) as report entries."""
    return [ReportEntry.from_inference_data(idata) for idata in load_results(path).values()]


def _read(path: Path):
    """One results file as InferenceData, read whole (the file is closed after)."""
    import arviz as az

    try:
        with quiet(), az.rc_context({"data.load": "eager"}):
            idata = az.from_netcdf(str(path), engine=_ENGINE)
    except (OSError, ValueError, KeyError, TypeError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ResultsError(f"cannot read {path} as klmle results: {first}") from None
    attrs = dict(idata.attrs)
    if "klmle_results" not in attrs:
        raise ResultsError(f"{path} is not a klmle results file (no 'klmle_results' mark)")
    version = int(attrs["klmle_results"])
    if version != FORMAT_VERSION:
        raise ResultsError(
            f"{path} was written by another version of klmle (results format {version}; "
            f"this version reads {FORMAT_VERSION}): fit again to write it anew"
        )
    missing = [g for g in _REQUIRED if g not in idata.groups()]
    if missing or "klmle_key" not in attrs:
        raise ResultsError(f"{path}: the comparison lacks its {', '.join(missing) or 'key'}")
    return idata
