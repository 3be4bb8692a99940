"""``klmle study NAME ...`` and ``klmle notebook``: the studies and the coursework notebook.

klmle study convergence --family gamma --sizes 200,2000 --reps 60 --seed 9
                        [--store PATH] [--n-jobs 2] [--scheduler tcp://host:port]
                        [--report out.html]
klmle study misspecification --truth gamma --truth-params alpha=2,beta=0.667
                             --family normal ...
klmle study prior --family normal ...
klmle study smoothing --family normal [--data FILE.csv [--column C]] --bandwidths 0.1,0.3
klmle study reverse [--family normal] [--data FILE.csv [--column C]] [--bandwidth 0.3]
klmle study report STORE [--output out.html]      re-render a stored study, no refit
klmle notebook [--output reports/kl_is_mle.ipynb]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from models import families
from toolkit.cli.csv_input import UserError, read_column
from toolkit.quiet import quiet
from toolkit.report.files import check_destination
from toolkit.report.notebook import DEFAULT_OUTPUT as NOTEBOOK_OUTPUT
from toolkit.report.notebook import write_notebook
from toolkit.report.studies import SECTIONS, TABLES, reverse_section, write_study_report
from toolkit.studies import (
    REPLICATED,
    StoreError,
    bimodal_sample,
    convergence,
    load,
    reverse,
    smoothing,
)
from toolkit.studies.laws import law, study_family
from toolkit.studies.runner import execute

#: The demo's studies: small enough to add seconds, not minutes, to ``klmle demo``.
DEMO_SIZES, DEMO_REPS = (100, 1000, 10000), 30


def add_commands(commands) -> None:
    """Add ``study`` (with one subcommand per study) and ``notebook`` to the klmle parser."""
    study = commands.add_parser("study", help="run a study: many fits, the law of large numbers")
    kinds = study.add_subparsers(required=True, metavar="STUDY")
    names = [name for name, family in families().items() if study_family(family)]
    for name in REPLICATED:
        sub = kinds.add_parser(name, help=f"the {name} study (many samples; resumable)")
        if name == "misspecification":
            sub.add_argument("--truth", required=True, choices=names, metavar="NAME")
            sub.add_argument("--truth-params", metavar="P=V,...", help="default: demo values")
        sub.add_argument("--family", required=True, choices=names, metavar="NAME")
        if name != "misspecification":
            sub.add_argument("--params", metavar="P=V,...", help="true values (default: demo)")
        sub.add_argument("--sizes", default="100,1000,10000", help="sample sizes, e.g. 200,2000")
        sub.add_argument("--reps", type=int, default=100, help="samples per size")
        sub.add_argument("--seed", type=int, default=0)
        if name != "prior":
            sub.add_argument("--engines", default="mle", help="engines, e.g. mle,kl")
        sub.add_argument("--store", metavar="PATH", help="record finished fits here; resume")
        sub.add_argument("--n-jobs", type=int, default=1, help="joblib workers (-1: all cores)")
        sub.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler, tcp://host:port")
        sub.add_argument("--report", metavar="PATH", help="write the study's HTML report")
        _add_force(sub)
        sub.set_defaults(run=_run_replicated, study=name)
    for name, defaults in (("smoothing", "0.03,0.1,0.3,1"), ("reverse", None)):
        sub = kinds.add_parser(name, help=f"the {name} study on one sample")
        sub.add_argument("--family", default="normal", choices=names, metavar="NAME")
        sub.add_argument("--data", metavar="FILE.csv", help="default: simulated data")
        sub.add_argument("--column", help="the column of FILE.csv to use")
        sub.add_argument("--n", type=int, default=400, help="simulated observations")
        sub.add_argument("--seed", type=int, default=0)
        if defaults:
            sub.add_argument("--bandwidths", default=defaults, help="e.g. 0.1,0.3,1")
        else:
            sub.add_argument("--bandwidth", type=float, default=0.3, help="KDE bandwidth h")
            sub.add_argument("--starts", type=int, default=6, help="slices whose MLEs start")
        sub.add_argument("--report", metavar="PATH", help="write the study's HTML report")
        _add_force(sub)
        sub.set_defaults(run=_run_one_sample, study=name)
    again = kinds.add_parser("report", help="re-render a stored study, without refitting")
    again.add_argument("store", help="the study's store (--store of the run)")
    again.add_argument("--output", metavar="PATH", help="HTML file (default: STORE.html)")
    _add_force(again)
    again.set_defaults(run=_run_stored)

    notebook = commands.add_parser("notebook", help="write the coursework Jupyter notebook")
    notebook.add_argument("--output", default=NOTEBOOK_OUTPUT, metavar="PATH")
    notebook.add_argument(
        "--force", action="store_true", help="replace a file there that klmle did not write"
    )
    notebook.set_defaults(run=_run_notebook)


def _add_force(parser) -> None:
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace an existing report klmle did not write (never the data or the store)",
    )


def _inputs(args) -> list[str]:
    """What a study reads: its data file and its store; a report never replaces them."""
    return [p for p in (getattr(args, "data", None), getattr(args, "store", None)) if p]


def _check_report(args, path: str | None) -> None:
    """Refuse a report path in one line before the study runs (see check_destination)."""
    if path:
        check_destination(Path(path), inputs=_inputs(args), force=args.force)


def _run_replicated(args) -> int:
    _check_report(args, args.report)
    module = REPLICATED[args.study]
    keywords = {}
    if args.study == "misspecification":
        truth = (args.truth, _params(args.truth_params))
        positional = (truth, args.family)
    else:
        positional = (args.family,)
        keywords["params"] = _params(args.params)
    if args.study != "prior":
        keywords["engines"] = _list(args.engines, str, "--engines")
    sizes = _list(args.sizes, int, "--sizes")
    try:
        plan = module.plan(*positional, sizes, args.reps, args.seed, **keywords)
    except ValueError as err:
        raise UserError(str(err)) from None
    frame = _execute(plan, args)
    return _outputs(args, args.study, frame, args.report, data=None)


def _execute(plan, args) -> pd.DataFrame:
    with quiet(), _progress() as bar:
        task = None

        def progress(done: int, total: int) -> None:
            nonlocal task
            if task is None:
                task = bar.add_task(f"{plan.study}", total=total, completed=done)
            bar.update(task, completed=done)

        try:
            return execute(
                plan,
                store=args.store,
                n_jobs=args.n_jobs,
                scheduler=args.scheduler,
                progress=progress,
            )
        except StoreError as err:
            raise UserError(str(err)) from None
        except KeyboardInterrupt:
            if args.store:
                print(
                    f"klmle: stopped; finished fits are kept in {args.store}: run the "
                    "same command again to resume",
                    file=sys.stderr,
                )
            raise


def _run_one_sample(args) -> int:
    _check_report(args, args.report)
    data = _sample(args)
    try:
        with quiet():
            if args.study == "smoothing":
                bandwidths = _list(args.bandwidths, float, "--bandwidths")
                frame = smoothing(args.family, data, bandwidths)
            else:
                frame = reverse(args.family, data, args.bandwidth, n_starts=args.starts)
    except ValueError as err:
        raise UserError(str(err)) from None
    return _outputs(args, args.study, frame, args.report, data=data)


def _sample(args) -> np.ndarray:
    if args.data:
        return read_column(args.data, args.column)
    if args.n < 10:
        raise UserError(f"--n must be at least 10 observations, got {args.n}")
    if args.study == "reverse":
        return bimodal_sample(args.n, seed=args.seed)
    truth = law(args.family)
    return truth.simulate(np.random.default_rng(args.seed), args.n)


def _run_stored(args) -> int:
    try:
        frame = load(args.store)
    except StoreError as err:
        raise UserError(str(err)) from None
    output = args.output or str(Path(args.store).with_suffix(".html"))
    _check_report(args, output)
    return _outputs(args, frame.attrs["study"], frame, output, data=None)


def _outputs(args, study: str, frame: pd.DataFrame, report: str | None, data) -> int:
    """Print the study's summary; with a report path, write its HTML page."""
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(TABLES[study](frame).to_string(float_format=lambda v: f"{v:.6g}"))
    failed = int((frame["status"] != "ok").sum())
    if failed:
        print(f"note: {failed} row(s) of fits not certified or failed (see the status column)")
    if report:
        with quiet():
            section = reverse_section(frame, data) if study == "reverse" else SECTIONS[study](frame)
            path = write_study_report(
                [section],
                report,
                title=f"klmle study: {study}",
                inputs=_inputs(args),
                force=args.force,
            )
        print(f"report: {path}")
    return 0


def _run_notebook(args) -> int:
    check_destination(Path(args.output), force=args.force, what="notebook")
    path = write_notebook(args.output)
    print(f"notebook: {path}")
    return 0


def demo_studies_path(html_path: Path) -> Path:
    """Where the demo's studies page goes: ``NAME_studies.html`` beside its report."""
    return html_path.with_name(f"{html_path.stem}_studies.html")


def run_demo_studies(html_path: Path, seed: int, *, force: bool = False) -> Path:
    """The demo's studies page beside its report: a small convergence study, the reverse KL."""
    with quiet(), _progress() as bar:
        task = bar.add_task("studies", total=len(DEMO_SIZES) * DEMO_REPS + 1)
        frame = convergence(
            "normal",
            sizes=DEMO_SIZES,
            reps=DEMO_REPS,
            seed=seed,
            progress=lambda done, total: bar.update(task, completed=done),
        )
        data = bimodal_sample(400, seed=seed)
        sections = [
            SECTIONS["convergence"](frame),
            reverse_section(reverse("normal", data, 0.3), data),
        ]
        bar.update(task, completed=len(DEMO_SIZES) * DEMO_REPS + 1)
    path = demo_studies_path(html_path)
    write_study_report(
        sections, path, title="klmle demo: the law of large numbers at work", force=force
    )
    return path


def _params(text: str | None) -> dict | None:
    """``alpha=2,beta=0.667`` as a dict of floats (a vector as ``p=0.2/0.3/0.5``)."""
    if not text:
        return None
    out = {}
    for item in text.split(","):
        name, _, value = item.partition("=")
        try:
            numbers = [float(v) for v in value.split("/")]
        except ValueError:
            raise UserError(f"parameters must read name=value,...; got {text!r}") from None
        if not name.strip() or not value:
            raise UserError(f"parameters must read name=value,...; got {text!r}")
        out[name.strip()] = numbers[0] if len(numbers) == 1 else numbers
    return out


def _list(text: str, kind, flag: str) -> list:
    try:
        return [kind(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise UserError(f"{flag} must be a comma-separated list, got {text!r}") from None


def _progress():
    """A rich progress bar with counts and the time left, on stderr when it is a terminal."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    console = Console(stderr=True)
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
