"""Results a report is drawn from: comparisons as InferenceData, saved to one netCDF file.

A report never needs a :class:`~toolkit.compare.Comparison`: it is drawn from
each comparison's ``arviz.InferenceData`` (see :mod:`toolkit.report.inference_data`),
so ``klmle report RESULTS.nc`` re-renders exactly what ``klmle demo`` drew.

File layout: the root group's attributes hold ``klmle_results`` (the format
version) and ``entries`` (JSON list of ``{key, dataset, source}``); each
comparison's InferenceData groups are netCDF groups ``<key>/<group>``.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from toolkit.quiet import quiet

#: Version of the file layout; files of another version are refused by name.
FORMAT_VERSION = 2
_ENGINE = "h5netcdf"


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
        Unique identifier within a results file (also the netCDF group name).
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


def save_results(entries: list[ReportEntry], path: str | os.PathLike) -> Path:
    """Write the entries to one netCDF file, atomically.

    Parameters
    ----------
    entries : list of ReportEntry
    path : path-like
        Destination; written to a temporary file in the same directory, then renamed.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    path = Path(path)
    index = [{"key": e.key, "dataset": e.dataset, "source": e.source} for e in entries]
    root = xr.Dataset(attrs={"klmle_results": FORMAT_VERSION, "entries": json.dumps(index)})

    def write(tmp: Path) -> None:
        root.to_netcdf(tmp, mode="w", engine=_ENGINE)
        for entry in entries:
            for group in entry.idata.groups():
                ds = entry.idata[group]
                ds.to_netcdf(tmp, mode="a", group=f"{entry.key}/{group}", engine=_ENGINE)

    atomic_write(path, write)
    return path


def load_results(path: str | os.PathLike) -> list[ReportEntry]:
    """Read entries written by :func:`save_results`.

    Raises
    ------
    ResultsError
        If the file is missing, unreadable, or not a klmle results file.
    """
    import arviz as az

    path = Path(path)
    if not path.is_file():
        raise ResultsError(f"no such results file: {path}")
    try:
        with xr.open_dataset(path, engine=_ENGINE) as root:
            attrs = dict(root.attrs)
        if "klmle_results" not in attrs:
            raise ResultsError(f"{path} is not a klmle results file (no 'klmle_results' mark)")
        if int(attrs["klmle_results"]) != FORMAT_VERSION:
            raise ResultsError(
                f"{path} was written by another version of klmle (results format "
                f"{int(attrs['klmle_results'])}; this version reads {FORMAT_VERSION}): fit again "
                "to write it anew"
            )
        index = json.loads(attrs["entries"])
        entries = []
        for item in index:
            groups = {}
            for group in _GROUPS:
                with contextlib.suppress(OSError, KeyError):
                    groups[group] = _load_group(path, f"{item['key']}/{group}")
            if not {"comparison", "diagnostics", "observed_data"} <= set(groups):
                raise ResultsError(f"{path}: entry {item['key']!r} lacks its comparison data")
            with quiet():
                idata = az.InferenceData(**groups)
            entries.append(ReportEntry(item["key"], item["dataset"], item["source"], idata))
    except ResultsError:
        raise
    except (OSError, ValueError, KeyError, TypeError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ResultsError(f"cannot read {path} as klmle results: {first}") from None
    if not entries:
        raise ResultsError(f"{path} holds no comparisons")
    return entries


_GROUPS = ("posterior", "log_likelihood", "observed_data", "comparison", "diagnostics")


def _load_group(path: Path, group: str) -> xr.Dataset:
    with xr.open_dataset(path, group=group, engine=_ENGINE) as ds:
        return ds.load()


def atomic_write(path: Path, write) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it to ``path``.

    If ``write`` raises, the temporary file is removed and ``path`` is untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        # mkstemp creates the file private (0600); give it the mode a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
