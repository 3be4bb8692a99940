"""The ``klmle`` command: a thin layer over the API, and the only place that prints.

klmle families                       the catalog
klmle fit FILE.csv --family NAME     compare the engines on one column of a CSV file
klmle demo                           the whole catalog on built-in simulated data
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import numpy as np
import pandas as pd

from toolkit.errors import DataError

DEMO_N = 2000
DEMO_SEED = 20261121


class UserError(Exception):
    """A mistake in the command line or the input file: one line, exit 1."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (UserError, DataError, TypeError) as err:
        print(f"klmle: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("klmle: interrupted", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    from models import families

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
    fit.add_argument("--column", help="column to fit (needed when the file has several)")
    fit.add_argument("--tolerance", type=float, default=None, help="agreement tolerance in SE")
    for option in _family_options():
        fit.add_argument(f"--{option.name}", help=option.help)
    fit.set_defaults(run=_run_fit)

    demo = commands.add_parser("demo", help="run the whole catalog on built-in simulated data")
    demo.add_argument("--n", type=int, default=DEMO_N, help="observations per family")
    demo.add_argument("--seed", type=int, default=DEMO_SEED)
    demo.set_defaults(run=_run_demo)
    return parser


def _family_options():
    from models import families

    seen = {}
    for family in families().values():
        for option in family.options:
            seen.setdefault(option.name, option)
    return list(seen.values())


def _run_families(args) -> int:
    from models import families

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
    from models import get_family
    from toolkit.compare import DEFAULT_TOLERANCE, compare

    family = get_family(args.family)
    data = read_column(args.file, args.column)
    options = {
        o.name: getattr(args, o.name) for o in family.options if getattr(args, o.name) is not None
    }
    tolerance = args.tolerance if args.tolerance is not None else DEFAULT_TOLERANCE
    cmp = compare(family.name, data, tolerance=tolerance, **options)
    print(format_comparison(cmp, source=f"{args.file}"))
    return 0


def _run_demo(args) -> int:
    from toolkit.compare import compare
    from toolkit.demo import demo_datasets

    for name, data, options in demo_datasets(n=args.n, seed=args.seed):
        cmp = compare(name, data, **options)
        print(format_comparison(cmp, source=f"simulated, N={len(data)}"))
        print()
    return 0


def read_column(path: str, column: str | None) -> np.ndarray:
    """One numeric column of a CSV file, with errors a user can act on."""
    try:
        frame = pd.read_csv(path)
    except FileNotFoundError:
        raise UserError(f"no such file: {path}") from None
    except (
        pd.errors.ParserError,
        pd.errors.EmptyDataError,
        UnicodeDecodeError,
        IsADirectoryError,
    ) as err:
        raise UserError(f"cannot read {path} as CSV: {str(err).splitlines()[0]}") from None
    if column is None:
        if frame.shape[1] != 1:
            raise UserError(
                f"{path} has {frame.shape[1]} columns; choose one with --column: "
                f"{list(frame.columns)}"
            )
        column = frame.columns[0]
    if column not in frame.columns:
        raise UserError(f"{path} has no column {column!r}; columns: {list(frame.columns)}")
    return frame[column].to_numpy()


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


if __name__ == "__main__":
    sys.exit(main())
