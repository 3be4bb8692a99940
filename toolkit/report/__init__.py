"""Reports: the only part of klmle that draws or writes HTML.

    from toolkit.report import entry_from_comparison, save_results, write_report

    entries = [entry_from_comparison(cmp, key="c0", dataset="my data", source="my.csv")]
    write_report(entries, "report.html")
    save_results(entries, "report.nc")

``cmp`` may come from a catalog family (``toolkit.compare("gamma", x)``), a
regression family (``toolkit.compare("logistic_regression", df, y=..., x=[...])``)
or your own model (``toolkit.compare(model)`` on a ``pm.Model``): each section
shows what its saved data allow (a user's model has no KL profile: the model
itself is Python code and is not saved).

Nothing is drawn or configured at import time; matplotlib's Agg backend is
selected inside the drawing functions.
"""

from toolkit.report.jupyter import comparison_html
from toolkit.report.real_data import RealDataset, real_datasets
from toolkit.report.render import render_report, write_report
from toolkit.report.results import (
    ReportEntry,
    ResultsError,
    entry_from_comparison,
    load_results,
    save_results,
)

__all__ = [
    "RealDataset",
    "ReportEntry",
    "ResultsError",
    "comparison_html",
    "entry_from_comparison",
    "load_results",
    "real_datasets",
    "render_report",
    "save_results",
    "write_report",
]
