"""Reports: the only part of klmle that draws or writes HTML.

    from toolkit.report import entry_from_comparison, write_unit

    entries = [entry_from_comparison(cmp, key="c0", dataset="my data", source="my.csv")]
    write_unit(entries, "report.html")      # report.html + report.nc, one unit

``cmp`` may come from a catalog family (``toolkit.compare("gamma", x)``), a
regression family (``toolkit.compare("logistic_regression", df, y=..., x=[...])``)
or your own model (``toolkit.compare(model)`` on a ``pm.Model``): each section
shows what its saved data allow. The results are plain ArviZ InferenceData
files (``arviz.from_netcdf`` opens them); :func:`load_results` reads them back
by key, from a file or a folder.

Nothing is drawn or configured at import time; matplotlib's Agg backend is
selected inside the drawing functions.
"""

from toolkit.report.files import OutputError
from toolkit.report.jupyter import comparison_html
from toolkit.report.real_data import RealDataset, real_datasets
from toolkit.report.render import render_report, write_report
from toolkit.report.results import (
    ReportEntry,
    ResultsError,
    entry_from_comparison,
    load_entries,
    load_results,
    locate_results,
    results_path,
    save_results,
)
from toolkit.report.unit import check_unit, write_unit

__all__ = [
    "OutputError",
    "RealDataset",
    "ReportEntry",
    "ResultsError",
    "check_unit",
    "comparison_html",
    "entry_from_comparison",
    "load_entries",
    "load_results",
    "locate_results",
    "real_datasets",
    "render_report",
    "results_path",
    "save_results",
    "write_report",
    "write_unit",
]
