"""The ``klmle`` command: a thin layer over the API, and the only place that prints.

klmle families                          the catalog
klmle fit FILE.csv --family NAME        compare the engines on a CSV file
                     [--report PATH]    ... and write an HTML report, results beside it
klmle demo [--output PATH]              the whole catalog on built-in data: report + results
klmle report RESULTS [--output PATH]    re-render a report from saved results, no refit
klmle bench [--json] [--skip SECTIONS]  measure speed: refits, peers, large N, the demo
klmle study NAME ... / klmle notebook   the studies and the coursework notebook (cli/study.py)

A report and its results are written as one unit (``out.html`` + ``out.nc``, or
``demo.html`` + ``demo/``), never over an input file, and over an existing file
only when klmle wrote it or ``--force`` says so.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from models import families, get_family
from models.demo import demo_datasets
from models.regression.declaration import RegressionFamily
from toolkit.cli import study
from toolkit.cli.csv_input import Selection, UserError, choose_column, read_table, select_columns
from toolkit.cli.terminal import Progress, compile_notice, known_notices_kept_quiet
from toolkit.compare import compare_problem
from toolkit.config import SETTINGS, settings_context
from toolkit.engines.posterior import POSTERIORS
from toolkit.errors import DataError, ModelError
from toolkit.problem import make_problem
from toolkit.problem.ahead import CompileAhead
from toolkit.quiet import quiet
from toolkit.report import (
    OutputError,
    ResultsError,
    check_unit,
    entry_from_comparison,
    load_entries,
    locate_results,
    real_datasets,
    write_report,
    write_unit,
)
from toolkit.report.files import check_destination
from toolkit.report.text import comparison_text
from toolkit.report.workers import ReportWorkers

DEMO_N = 2000
DEMO_SEED = 20261121
DEMO_OUTPUT = "reports/demo.html"

#: The toolkit's own errors: a user's mistake, printed as one line (exit status 1). Any
#: other exception is a bug in klmle and shows its traceback.
USER_ERRORS = (UserError, DataError, ModelError, ResultsError, OutputError)


class UsageError(UserError):
    """A command line that cannot work whatever the file holds: one line, exit 2 (as
    argparse's own usage errors)."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)  # usage errors: one line from argparse, exit status 2
    try:
        with known_notices_kept_quiet():
            return args.run(args)
    except USER_ERRORS as err:
        print(f"klmle: error: {' '.join(str(err).split())}", file=sys.stderr)
        return 2 if isinstance(err, UsageError) else 1
    except KeyboardInterrupt:
        print("klmle: interrupted", file=sys.stderr)
        return 130


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error in one line (and a hint) instead of the usage text."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="klmle",
        description="Minimising KL(p̂ ‖ q_θ) is maximum likelihood: fit, compare and report.",
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND", parser_class=_Parser)

    listing = commands.add_parser("families", help="list the catalog of model families")
    listing.set_defaults(run=_run_families)

    fit = commands.add_parser(
        "fit",
        help="fit a family to a CSV file with every engine and compare the estimates",
        description="Fit a family to data from a CSV file with every engine (mle, kl, ...) "
        "and compare the estimates. One column for a family of single values, several for "
        "a multivariate family, --y and --x for a regression family.",
    )
    fit.add_argument("file", help="CSV file with a header row")
    fit.add_argument(
        "--family",
        required=True,
        type=_family_name,
        metavar="NAME",
        help="the model family ('klmle families' lists them), e.g. gamma, poisson, "
        "logistic_regression",
    )
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
    fit.add_argument(
        "--tolerance",
        type=_tolerance,
        default=None,
        metavar="SE",
        help=f"agreement tolerance, in standard errors (default {SETTINGS['tolerance'].default:g})",
    )
    fit.add_argument(
        "--dropna",
        action="store_true",
        help="drop rows with a missing value in the columns used (and say how many); "
        "by default a missing value is an error naming its line",
    )
    for name, text in _family_options().items():
        fit.add_argument(f"--{name}", metavar=name.upper(), help=text)
    fit.add_argument(
        "--report",
        metavar="PATH",
        help="also write an HTML report at PATH (ending in .html) and its results beside it: "
        "out.html writes out.nc, a plain ArviZ InferenceData file",
    )
    _add_posterior_argument(fit)
    _add_force_argument(fit)
    fit.set_defaults(run=_run_fit)

    demo = commands.add_parser(
        "demo",
        help="fit every catalog family to built-in data and write an HTML report",
        description="Fit every catalog family to data simulated with fixed seeds, and two "
        "to a real dataset, and write the report with its results beside it.",
    )
    demo.add_argument("--n", type=int, default=DEMO_N, help="observations per simulated family")
    demo.add_argument("--seed", type=int, default=DEMO_SEED, help="seed of the simulated data")
    _add_posterior_argument(demo)
    demo.add_argument(
        "--output",
        default=DEMO_OUTPUT,
        metavar="PATH",
        help=f"HTML report to write (default {DEMO_OUTPUT}); its results go in the folder "
        "beside it named after it (reports/demo/), one ArviZ InferenceData file per comparison",
    )
    _add_force_argument(demo)
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

    report = commands.add_parser(
        "report",
        help="re-render a report from saved results, without refitting",
        description="Re-render a report from results written by 'klmle fit --report' or "
        "'klmle demo': a results file (out.nc), a results folder (reports/demo), or the "
        "report they were written with.",
    )
    report.add_argument("results", help="results file (.nc) or folder, or their report (.html)")
    report.add_argument(
        "--output", metavar="PATH", help="HTML file to write (default: beside the results)"
    )
    _add_force_argument(report)
    report.set_defaults(run=_run_report)
    study.add_commands(commands)
    return parser


def _tolerance(text: str) -> float:
    """--tolerance as the settings table validates it (argparse: exit 2 when invalid)."""
    try:
        return SETTINGS["tolerance"].validate(float(text))
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"{text!r}: {err}") from None


def _family_name(text: str) -> str:
    """A catalog family's name; for any other, the closest names in one line."""
    names = list(families())
    if text in names:
        return text
    close = difflib.get_close_matches(text, names, n=2, cutoff=0.6)
    hint = (
        f"did you mean {' or '.join(repr(c) for c in close)}?"
        if close
        else "'klmle families' lists them"
    )
    raise argparse.ArgumentTypeError(f"invalid choice: {text!r} ({hint})")


def _family_options() -> dict[str, str]:
    """Each family option's flag and help, naming the families that take it."""
    texts: dict[str, list[str]] = {}
    for family in families().values():
        for option in family.options:
            texts.setdefault(option.name, []).append(f"{family.name}: {option.help}")
    return {name: "; ".join(parts) for name, parts in texts.items()}


def _add_posterior_argument(parser) -> None:
    parser.add_argument(
        "--posterior",
        choices=POSTERIORS,
        default="laplace",
        help="the report's posterior: the Laplace (normal) approximation at the MLE "
        "(default; NUTS for a non-smooth parameter, where it does not exist) or NUTS",
    )


def _add_force_argument(parser) -> None:
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace existing files that klmle did not write (never the input)",
    )


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
    if args.report:
        check_unit(args.report, 1, inputs=[args.file], force=args.force)
    if isinstance(family, RegressionFamily):
        return _run_fit_regression(args, family)
    data, label, selection = _read_data(args, family)
    options = {
        o.name: getattr(args, o.name) for o in family.options if getattr(args, o.name) is not None
    }
    with Progress(4 if args.report else 2) as progress:
        with _lines_of(selection):
            cmp = _compare(progress, family.name, data, args.tolerance, options)
        progress.print(selection.describe())
        _fit_outputs(args, cmp, progress, dataset=label, source=f"column “{label}” of {args.file}")
    return 0


def _refuse_unused_options(args, family) -> None:
    """A UsageError for an option this family would ignore: nothing given is dropped."""
    regression = isinstance(family, RegressionFamily)
    given = {name for name in _family_options() if getattr(args, name) is not None}
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


def _compare(progress: Progress, family: str, data, tolerance, options: dict):
    """Build (and compile, the first time) the problem, then run the engines."""
    with settings_context(tolerance=tolerance):
        progress.stage(f"compiling the {family} model (PyTensor → C; cached after the first run)")
        with quiet():
            problem = make_problem(family, data, **options)
        progress.stage(f"fitting {family} with every engine (N = {problem.n})")
        with quiet():
            return compare_problem(problem)


def _fit_outputs(args, cmp, progress: Progress, *, dataset: str, source: str) -> None:
    """Print the comparison; with --report, also write the HTML report and its results."""
    progress.print(comparison_text(cmp, source=f"{args.file}"))
    if args.report:
        progress.stage(f"posterior ({args.posterior}) and diagnostics")
        entry = entry_from_comparison(
            cmp, key="c00", dataset=dataset, source=source, posterior=args.posterior
        )
        title = f"klmle: {args.family} on {args.file}"
        progress.stage("drawing the report")
        _write_outputs(
            [entry], Path(args.report), progress, title=title, inputs=[args.file],
            force=args.force,
        )  # fmt: skip


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
    options = {"y": args.y, "x": x, "intercept": not args.no_intercept}
    with Progress(4 if args.report else 2) as progress:
        with _lines_of(selection):
            cmp = _compare(progress, family.name, selection.frame, args.tolerance, options)
        covariates = ", ".join(repr(c) for c in x) or "none"
        progress.print(selection.describe(f"response {args.y!r}, covariates {covariates}"))
        design = cmp.problem.design
        terms = " + ".join("1" if c == "(intercept)" else c for c in design.columns)
        source = f"{design.response} ~ {terms} from {args.file}"
        _fit_outputs(args, cmp, progress, dataset=Path(args.file).name, source=source)
    return 0


def _run_demo(args) -> int:
    if args.n < 10:
        raise UsageError(f"--n must be at least 10 observations, got {args.n}")
    jobs = [
        (
            name,
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
        slug = dataset.name.split(" (")[0].replace(" ", "_")
        jobs.extend(
            (f, f"{f}-{slug}", dataset.name, dataset.source, data, {}) for f in dataset.families
        )
    output = Path(args.output)
    check_unit(output, len(jobs), force=args.force)
    check_destination(study.demo_studies_path(output), force=args.force)
    entries = []
    # Later models are compiled, sections drawn and results written by other processes
    # while the main one fits.
    with (
        CompileAhead([(job[0], job[4], job[5]) for job in jobs]) as ahead,
        ReportWorkers(report=output) as workers,
        Progress(len(jobs), "comparison", stages_are_steps=False) as progress,
    ):
        progress.note(compile_notice(len(jobs)))
        for index, (name, key, dataset, source, data, options) in enumerate(jobs):
            progress.step(f"{name} on {dataset}")
            ahead.ready(index)
            cmp = _compare(progress, name, data, None, options)
            progress.detail(f"posterior ({args.posterior}) and diagnostics of {name}")
            entries.append(
                entry_from_comparison(
                    cmp, key=key, dataset=dataset, source=source, posterior=args.posterior
                )
            )
            workers.submit(entries[-1])
        # The studies run here while the worker still draws sections.
        progress.step("the studies page")
        studies = study.run_demo_studies(output, seed=args.seed, force=args.force)
        progress.step("drawing the report")
        _write_outputs(
            entries,
            output,
            progress,
            title="klmle demo: KL minimisation is maximum likelihood",
            force=args.force,
            workers=workers,
        )
    print(f"studies: {studies}")
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
    results = locate_results(args.results)
    if args.output:
        output = Path(args.output)
    else:
        output = results.with_suffix(".html") if results.is_file() else Path(f"{results}.html")
    # What is read: the results (a report's own path, given to find them, may be re-rendered).
    inputs = [*results.iterdir()] if results.is_dir() else [results]
    with quiet():
        entries = load_entries(results)
    with ReportWorkers() as workers, Progress(1) as progress:
        for entry in entries:
            workers.submit(entry)
        progress.step("drawing the report")
        _draw(
            entries,
            progress,
            lambda draw: write_report(
                entries,
                output,
                title=f"klmle report: {Path(args.results).name}",
                inputs=inputs,
                force=args.force,
                drawn=workers.collect(entries, draw),
            ),
        )
    print(f"report: {output}")
    return 0


def _write_outputs(
    entries,
    html_path: Path,
    progress: Progress,
    *,
    title: str,
    inputs=(),
    force=False,
    workers: ReportWorkers | None = None,
) -> None:
    """The report and its results, written as one unit; their paths printed."""
    html_path, results = _draw(
        entries,
        progress,
        lambda draw: write_unit(
            entries, html_path, title=title, inputs=inputs, force=force, progress=draw,
            workers=workers,
        ),
    )  # fmt: skip
    print(f"report: {html_path}")
    print(f"results: {results}")


def _draw(entries, progress: Progress, write):
    """Call ``write(progress_callback)`` with the sections counted as they are drawn."""
    total = len(entries)
    done = [0]

    def drawn(label: str) -> None:
        done[0] += 1
        progress.detail(f"drew {done[0]}/{total}: {label}")

    with quiet():
        return write(drawn)
