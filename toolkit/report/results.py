"""Results a report is drawn from: comparisons as InferenceData, saved to one netCDF file.

A report never needs a :class:`~toolkit.compare.Comparison`: it is drawn from
each comparison's ``arviz.InferenceData`` (see :mod:`toolkit.inference_data`),
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

FORMAT_VERSION = 1
_ENGINE = "h5netcdf"


class ResultsError(ValueError):
    """A results file that is missing, unreadable or not written by klmle."""


@dataclass(frozen=True)
class ReportEntry:
    """One family (or regression family, or user's pm.Model) fitted to one dataset.

    The comparison group's ``kind`` attribute says which of the three it is.

    Parameters
    ----------
    key : str
        Unique identifier within a results file (also the netCDF group name).
    dataset : str
        Name of the dataset; entries with the same name are ranked together.
    source : str
        Where the data came from (a file, "simulated, seed ...", a citation).
    idata : arviz.InferenceData
        The comparison, with a ``comparison`` group (see :mod:`toolkit.inference_data`).
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
        return str(self.attrs["family"])

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

    @cached_property
    def data(self) -> np.ndarray:
        """The observations of a univariate entry (see ``observed_data`` for the others)."""
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
    def kind(self) -> str:
        """The kind of entry: "family" (univariate), "regression" or "model" (a pm.Model)."""
        return str(self.attrs.get("kind", "family"))

    @property
    def label(self) -> str:
        """The comparison's label: the family, or the regression formula, or the model's name."""
        return str(self.attrs.get("label", self.family))

    @property
    def not_judged(self) -> list[str]:
        """Engines reported but left out of the verdict (those that use a model's priors)."""
        return list(json.loads(self.attrs.get("not_judged", "[]")))

    @property
    def multistart(self) -> dict:
        """Starts and distinct optima by engine, where the engines ran from several starts."""
        return dict(json.loads(self.attrs.get("multistart", "{}")))

    @property
    def regression(self) -> dict | None:
        """Family, response, design columns of a regression entry; None otherwise."""
        text = self.attrs.get("regression")
        return json.loads(text) if text is not None else None

    @property
    def k_free(self) -> int:
        """Free parameters for AIC/BIC (a simplex of k probabilities has k − 1)."""
        if self.kind == "family":
            from toolkit.report.stats import free_parameters

            return free_parameters(self.problem)
        return int(self.attrs["k_free"])

    @cached_property
    def problem(self):
        """The validated univariate problem (family, data, options) rebuilt from the saved data.

        Raises
        ------
        ValueError
            For a regression or user-model entry, which has no univariate problem.
        """
        from models import get_family
        from toolkit.engines.problem import Problem

        if self.kind != "family":
            raise ValueError(f"{self.label}: a {self.kind} entry has no univariate problem")
        family = get_family(self.family)
        return Problem(family, self.data, family.resolve_options(self.data, self.options))

    @property
    def has_posterior(self) -> bool:
        return "posterior" in self.idata.groups()

    @property
    def posterior_kind(self) -> str:
        """How the posterior group was drawn: "laplace" or "nuts"."""
        return str(self.idata.comparison.attrs.get("posterior", "laplace"))


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
        index = json.loads(attrs["entries"])
        entries = []
        for item in index:
            groups = {}
            for group in _GROUPS:
                with contextlib.suppress(OSError, KeyError):
                    groups[group] = _load_group(path, f"{item['key']}/{group}")
            if "comparison" not in groups or "observed_data" not in groups:
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


_GROUPS = ("posterior", "log_likelihood", "observed_data", "comparison")


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
