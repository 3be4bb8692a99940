"""The ``klmle`` command: a thin layer over the API, and the only place that prints.

klmle families                       the catalog
klmle fit FILE.csv --family NAME     compare the engines on one column of a CSV file
                     [--report PATH]  ... and write an HTML report (results beside it, .nc)
klmle demo [--output PATH]           the whole catalog on built-in data: HTML report + .nc
klmle report RESULTS.nc [--output]   re-render a report from saved results, without refitting
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from models import families, get_family
from models.demo import demo_datasets
from models.regression.declaration import RegressionFamily
from toolkit.cli.csv_input import Selection, UserError, choose_column, read_table, select_columns
from toolkit.compare import compare
from toolkit.config import SETTINGS
from toolkit.engines.posterior import POSTERIORS
from toolkit.errors import DataError, ModelError
from toolkit.quiet import quiet
from toolkit.report import (
    ResultsError,
    entry_from_comparison,
    load_results,
    real_datasets,
    save_results,
    write_report,
)

DEMO_N = 2000
DEMO_SEED = 20261121
DEMO_OUTPUT = "reports/demo.html"

#: The toolkit's own errors: a user's mistake, printed as one line (exit status 1). Any
#: other exception is a bug in klmle and shows its traceback.
USER_ERRORS = (UserError, DataError, ModelError, ResultsError)


class UsageError(UserError):
    """A command line that cannot work whatever the file holds: one line, exit 2 (as
    argparse's own usage errors)."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)  # usage errors: argparse prints them and exits with 2
    try:
        return args.run(args)
    except USER_ERRORS as err:
        print(f"klmle: error: {' '.join(str(err).split())}", file=sys.stderr)
        return 2 if isinstance(err, UsageError) else 1
    except KeyboardInterrupt:
        print("klmle: interrupted", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="klmle",
        description="Minimising KL(p̂ ‖ q_θ) is maximum likelihood: fit, compare and report.",
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    listing = commands.add_parser("families", help="list the catalog of model families")
    listing.set_defaults(run=_run_families)

    fit = commands.add_parser("fit", help="compare the engines on one column of a CSV file")
    fit.add_argument("file", help="CSV file with a header row")
    fit.add_argument("--family", required=True, choices=list(families()), metavar="NAME")
    fit.add_argument(
        "--column",
        action="append",
        help="column to fit (needed when the file has several); multivariate families: "
        "repeat it, one per dimension (default: every numeric column)",
    )
    fit.add_argument("--y", metavar="COL", help="regression families: the response column")
    fit.add_argument(
        "--x",
        metavar="COL",
        action="append",
        help="regression families: a covariate column (repeat; default: all other columns)",
    )
    fit.add_argument(
        "--no-intercept", action="store_true", help="regression families: no intercept column"
    )
    fit.add_argument("--tolerance", type=_tolerance, default=None, help="agreement tolerance in SE")
    fit.add_argument(
        "--dropna",
        action="store_true",
        help="drop rows with a missing value in the columns used (and say how many); "
        "by default a missing value is an error naming its line",
    )
    for option in _family_options():
        fit.add_argument(f"--{option.name}", help=option.help)
    fit.add_argument("--report", metavar="PATH", help="write an HTML report (and PATH.nc)")
    _add_posterior_argument(fit)
    fit.set_defaults(run=_run_fit)

    demo = commands.add_parser(
        "demo", help="run the whole catalog on built-in data and write an HTML report"
    )
    demo.add_argument("--n", type=int, default=DEMO_N, help="observations per simulated family")
    demo.add_argument("--seed", type=int, default=DEMO_SEED)
    _add_posterior_argument(demo)
    demo.add_argument(
        "--output",
        default=DEMO_OUTPUT,
        metavar="PATH",
        help=f"HTML report to write; results go beside it as .nc (default {DEMO_OUTPUT})",
    )
    demo.set_defaults(run=_run_demo)

    bench = commands.add_parser(
        "bench", help="measure speed: refits, peers, large N, a user's model, the demo"
    )
    bench.add_argument("--json", action="store_true", help="print only JSON on stdout")
    bench.add_argument(
        "--skip",
        default="",
        metavar="SECTIONS",
        help="comma-separated sections to leave out: refit, peers, scaling, user_model, demo",
    )
    bench.set_defaults(run=_run_bench)

    report = commands.add_parser("report", help="re-render a report from saved results (.nc)")
    report.add_argument("results", help="results file written by 'klmle demo' or 'klmle fit'")
    report.add_argument("--output", metavar="PATH", help="HTML file (default: RESULTS.html)")
    report.set_defaults(run=_run_report)
    return parser


def _tolerance(text: str) -> float:
    """--tolerance as the settings table validates it (argparse: exit 2 when invalid)."""
    try:
        return SETTINGS["tolerance"].validate(float(text))
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"{text!r}: {err}") from None


def _family_options():
    seen = {}
    for family in families().values():
        for option in family.options:
            seen.setdefault(option.name, option)
    return list(seen.values())


def _run_families(args) -> int:
    rows = [
        {
            "family": f.name,
            "parameters": ", ".join(f.params),
            "support": f.support,
            "closed form": "yes" if f.has_closed_form else "no",
            "options": ", ".join(o.name for o in f.options) or "-",
        }
        for f in families().values()
    ]
    print(pd.DataFrame(rows).to_string(index=False))
    return 0


def _run_fit(args) -> int:
    family = get_family(args.family)
    _refuse_unused_options(args, family)
    if isinstance(family, RegressionFamily):
        return _run_fit_regression(args, family)
    data, label, selection = _read_data(args, family)
    options = {
        o.name: getattr(args, o.name) for o in family.options if getattr(args, o.name) is not None
    }
    with quiet(), _progress() as progress, _lines_of(selection):
        task = progress.add_task(f"fitting {family.name}", total=None)
        cmp = compare(family.name, data, tolerance=args.tolerance, **options)
        progress.remove_task(task)
    print(selection.describe())
    _fit_outputs(args, cmp, dataset=label, source=f"column “{label}” of {args.file}")
    return 0


def _refuse_unused_options(args, family) -> None:
    """A UsageError for an option this family would ignore: nothing given is dropped."""
    regression = isinstance(family, RegressionFamily)
    given = {o.name for o in _family_options() if getattr(args, o.name) is not None}
    unused = sorted(given - {o.name for o in family.options})
    if regression and args.column:
        unused.append("column")
    if not regression:
        unused += [name for name in ("y", "x", "no_intercept") if getattr(args, name)]
    if unused:
        flags = ", ".join(f"--{name.replace('_', '-')}" for name in unused)
        raise UsageError(f"{family.name} takes no {flags}; see klmle fit --help")


@contextlib.contextmanager
def _lines_of(selection: Selection):
    """DataErrors that name a row of the data name its line of the file instead."""
    try:
        yield
    except DataError as err:
        raise err.at(selection.place) from None


def _fit_outputs(args, cmp, *, dataset: str, source: str) -> None:
    """Print the comparison; with --report, also write the HTML report and its .nc."""
    print(format_comparison(cmp, source=f"{args.file}"))
    if args.report:
        entry = entry_from_comparison(
            cmp, key="c00", dataset=dataset, source=source, posterior=args.posterior
        )
        title = f"klmle: {args.family} on {args.file}"
        _write_outputs([entry], Path(args.report), title=title)


def _add_posterior_argument(parser) -> None:
    parser.add_argument(
        "--posterior",
        choices=POSTERIORS,
        default="laplace",
        help="the report's posterior: Laplace approximation at the MLE (default) or NUTS",
    )


def _read_data(args, family):
    """The data for a non-regression family, a label naming its column(s), and the
    selection (columns, rows and their lines) they came from."""
    if args.column and len(args.column) > 1 and family.data_ndim == 1:
        raise UsageError(f"{family.name} fits one column; got --column {len(args.column)} times")
    table = read_table(args.file)
    if family.data_ndim == 2:
        chosen = select_columns(table.frame(args.column), args.column, args.file)
        selection = table.complete(chosen, args.dropna)
        return selection.frame, ", ".join(map(str, chosen.columns)), selection
    column = choose_column(table, args.column[0] if args.column else None)
    selection = table.complete(table.frame([column]), args.dropna)
    return selection.frame[column].to_numpy(), column, selection


def _run_fit_regression(args, family) -> int:
    """``klmle fit FILE --family <regression> --y COL [--x COL ...]``."""
    if family.mean_function:
        raise UsageError(
            f"{family.name} needs a Python mean function f(x, theta, math): use "
            "toolkit.compare() from Python"
        )
    if args.y is None:
        raise UsageError(f"{family.name} needs --y COL, the response column")
    table = read_table(args.file)
    x = args.x if args.x else [c for c in table.columns if c != args.y]
    selection = table.complete(table.frame([args.y, *x]), args.dropna)
    with quiet(), _progress() as progress, _lines_of(selection):
        task = progress.add_task(f"fitting {family.name}", total=None)
        cmp = compare(
            family.name,
            selection.frame,
            tolerance=args.tolerance,
            y=args.y,
            x=x,
            intercept=not args.no_intercept,
        )
        progress.remove_task(task)
    design = cmp.problem.design
    terms = " + ".join("1" if c == "(intercept)" else c for c in design.columns)
    source = f"{design.response} ~ {terms} from {args.file}"
    covariates = ", ".join(repr(c) for c in x) or "none"
    print(selection.describe(f"response {args.y!r}, covariates {covariates}"))
    _fit_outputs(args, cmp, dataset=Path(args.file).name, source=source)
    return 0


def _run_demo(args) -> int:
    if args.n < 10:
        raise UsageError(f"--n must be at least 10 observations, got {args.n}")
    jobs = [
        (
            name,
            f"simulated {name}",
            f"simulated at the demo parameters, seed {args.seed}",
            data,
            options,
        )
        for name, data, options in demo_datasets(n=args.n, seed=args.seed)
    ]
    for dataset in real_datasets():
        data = dataset.load()
        jobs.extend((f, dataset.name, dataset.source, data, {}) for f in dataset.families)
    entries = []
    with quiet(), _progress() as progress:
        task = progress.add_task("fitting", total=len(jobs))
        for i, (name, dataset, source, data, options) in enumerate(jobs):
            progress.update(task, description=f"fitting {name} on {dataset}")
            cmp = compare(name, data, **options)
            entry = entry_from_comparison(
                cmp, key=f"c{i:02d}", dataset=dataset, source=source, posterior=args.posterior
            )
            entries.append(entry)
            progress.advance(task)
    _write_outputs(
        entries, Path(args.output), title="klmle demo: KL minimisation is maximum likelihood"
    )
    return 0


def _run_bench(args) -> int:
    import json

    from toolkit.cli import bench

    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    unknown = skip - set(bench.SECTIONS)
    if unknown:
        raise UsageError(f"--skip: unknown sections {sorted(unknown)}; known: {bench.SECTIONS}")
    figures = bench.run(skip, log=lambda line: print(line, file=sys.stderr, flush=True))
    print(json.dumps(figures, indent=2) if args.json else bench.format_text(figures))
    return 0


def _run_report(args) -> int:
    results = Path(args.results)
    output = Path(args.output) if args.output else results.with_suffix(".html")
    with quiet():
        entries = load_results(results)
    _write_outputs(entries, output, title=f"klmle report: {results.name}", save=False)
    return 0


def _write_outputs(entries, html_path: Path, *, title: str, save: bool = True) -> None:
    """The HTML report and (when ``save``) the results beside it as .nc; paths printed."""
    if html_path.suffix.lower() == ".nc":
        raise UserError(f"the report path must not end in .nc: {html_path}")
    with quiet(), _progress() as progress:
        task = progress.add_task("drawing the report", total=len(entries))
        if save:
            nc_path = save_results(entries, html_path.with_suffix(".nc"))
        write_report(
            entries,
            html_path,
            title=title,
            progress=lambda label: progress.update(task, advance=1, description=f"drawing {label}"),
        )
    print(f"report: {html_path}")
    if save:
        print(f"results: {nc_path}")


def _progress():
    """A rich progress bar on stderr, silent when stderr is not a terminal."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )


def format_comparison(cmp, source: str) -> str:
    """The comparison as text: table, verdict, reasons and certificates."""
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        table = cmp.table().to_string(float_format=lambda v: f"{v:.10g}")
        certs = cmp.certificates()[["status", "grad_norm", "hessian_pd", "iterations", "seconds"]]
        cert_text = certs.to_string(float_format=lambda v: f"{v:.2g}")
    verdict = "AGREE" if cmp.agree else cmp.verdict.upper()
    lines = [
        f"== {cmp.label}  ({source})  verdict: {verdict} (tolerance {cmp.tolerance:g} SE)",
        table,
        f"KL: {cmp.kl_note}",
        *(f"note: {r}" for r in cmp.reasons),
        cert_text,
    ]
    return "\n".join(lines)
