"""Measure ``toolkit.compare`` on every reference problem: verdicts and correct digits.

    python tests/toolkit/references/measure.py [--only NAME ...] [--json out.json]

For each problem (NIST StRD nonlinear from both NIST starts; NIST StRD linear; GLMs on
statsmodels' datasets) it builds the PyMC model, runs ``toolkit.compare(model)`` with its
defaults, and prints one row: problem, difficulty, start, verdict, agree, the correct
significant digits (LRE = -log10(|est - ref| / |ref|), the minimum over parameters,
capped at 17; sigma against sqrt(RSS/N)) of find_map, mle and kl, the digits of the RSS
at each engine's estimate against the certified RSS (least-squares problems), whether
each engine's certificate says converged, and the seconds taken. Where the model leaves
groups of parameters interchangeable (the exponentials of Lanczos and MGH17, the periods
of ENSO) or signs free (Eckerle4's b1 and b2 together), estimates are relabelled to the
certified values first: that is the same fit. ``toolkit.compare``'s own verdict sees the
raw labels.
A failure is recorded in its row (``error``) and the sweep goes on. Slow: PyTensor
compiles each new model.
"""

from __future__ import annotations

import argparse
import json
import math
import signal
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

ENGINES = ("find_map", "mle", "kl")


def _nls_runs():
    import strd_nonlinear as nls

    for name in nls.PROBLEMS:
        problem = nls.load(name)
        reference = {**problem.certified, "sigma": problem.sigma}
        check = (problem.align, _rss_digits(problem.rss_at, problem.names, problem.rss))
        for start in nls.STARTS:
            yield ("nist-nls", name, problem.difficulty, start,
                   lambda p=problem, s=start: nls.nist_model(p, s), reference, check)  # fmt: skip


def _lls_runs():
    import strd_linear as lls

    for name in lls.PROBLEMS:
        problem = lls.load(name)
        reference = {**problem.certified, "sigma": problem.sigma}
        rss = problem.residual_sd**2 * (problem.n - problem.p)

        def rss_at(b, p=problem):
            r = p.y - p.design @ np.asarray(b, dtype=float)
            return float(r @ r)

        check = (dict, _rss_digits(rss_at, problem.names, rss))
        yield ("nist-lls", name, problem.difficulty, "zero",
               lambda p=problem: lls.linear_model(p), reference, check)  # fmt: skip


def _glm_runs():
    import glm_cases as glm

    for name in glm.CASES:
        yield ("glm", name, "statsmodels", "zero",
               lambda n=name: glm.glm_model(glm.load(n)),
               lambda n=name: glm.load(n).reference, (dict, None))  # fmt: skip


def _rss_digits(rss_at, names, certified_rss):
    """Digits of the RSS at an engine's estimate against the certified RSS."""

    def digits_of(estimates) -> float:
        from strd_mp import lre

        try:
            b = [float(estimates[n]) for n in names]
        except (KeyError, TypeError, ValueError):
            return math.nan
        rss = rss_at(b)
        if not math.isfinite(rss):
            return 0.0
        if certified_rss == 0:
            return 17.0 if rss == 0 else min(17.0, max(0.0, -math.log10(rss)))
        return max(0.0, lre(rss, certified_rss))

    return digits_of


def all_runs(only=None):
    wanted = {o.lower() for o in only or ()}
    for run in (*_nls_runs(), *_lls_runs(), *_glm_runs()):
        if not wanted or run[1].lower() in wanted or run[0].lower() in wanted:
            yield run


def digits(estimates, reference) -> float:
    """Minimum LRE over the reference's parameters; NaN if an estimate is missing."""
    from strd_mp import lre

    worst = 17.0
    for name, ref in reference.items():
        try:
            est = float(estimates[name])
        except (KeyError, TypeError, ValueError):
            return math.nan
        if not math.isfinite(est):
            return 0.0
        worst = min(worst, max(0.0, lre(est, ref)))
    return worst


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout


def measure(run, timeout: int) -> dict:
    import toolkit

    suite, name, difficulty, start, build, reference, (align, rss_digits) = run
    row = {"suite": suite, "problem": name, "difficulty": difficulty, "start": start,
           "verdict": None, "agree": None, "error": None}  # fmt: skip
    for engine in ENGINES:
        row[f"digits_{engine}"] = math.nan
        row[f"rss_digits_{engine}"] = math.nan
        row[f"converged_{engine}"] = None
    t0 = time.perf_counter()
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(timeout)
    try:
        if callable(reference):
            reference = reference()
        model = build()
        cmp = toolkit.compare(model)
        row["verdict"], row["agree"] = str(cmp.verdict), bool(cmp.agree)
        for engine in ENGINES:
            if engine in cmp.estimates.columns:
                estimates = align(cmp.estimates[engine].to_dict())
                row[f"digits_{engine}"] = digits(estimates, reference)
                row[f"estimates_{engine}"] = {k: float(v) for k, v in estimates.items()}
                if rss_digits is not None:
                    row[f"rss_digits_{engine}"] = rss_digits(estimates)
            fit = cmp.fits.get(engine)
            if fit is not None:
                row[f"converged_{engine}"] = bool(fit.certificate.converged)
        mle = cmp.fits.get("mle")
        if mle is not None and isinstance(mle.details, dict):
            row["mle_optima"] = mle.details.get("n_optima")
    except _Timeout:
        row["error"] = f"timeout after {timeout} s"
    except Exception as exc:  # one problem never stops the sweep
        row["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}"
    finally:
        signal.alarm(0)
    row["seconds"] = round(time.perf_counter() - t0, 1)
    return row


def _flag(value) -> str:
    return "-" if value is None else ("Y" if value else "N")


def _num(value) -> str:
    return f"{value:5.1f}" if math.isfinite(value) else "    -"


def format_row(row: dict) -> str:
    d = " ".join(_num(row[f"digits_{e}"]) for e in ENGINES)
    d += "  " + " ".join(_num(row[f"rss_digits_{e}"]) for e in ENGINES)
    c = "".join(_flag(row[f"converged_{e}"]) for e in ENGINES)
    verdict = row["verdict"] or "ERROR"
    line = (f"{row['problem']:16s} {row['difficulty']:11s} {row['start']:6s} {verdict:17s} "
            f"{_flag(row['agree']):5s} {d}  {c:4s} {row['seconds']:7.1f}")  # fmt: skip
    return line + (f"  {row['error']}" if row["error"] else "")


HEADER = (
    f"{'problem':16s} {'difficulty':11s} {'start':6s} {'verdict':17s} {'agree':5s} "
    f"{'fmap':>5s} {'mle':>5s} {'kl':>5s}  {'Rfmap':>5s} {'Rmle':>5s} {'Rkl':>5s}  conv "
    f"{'seconds':>7s}"
)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", help="problem names (or a suite: nist-nls, ...)")
    parser.add_argument("--json", type=Path, help="write the rows here (rewritten per run)")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per run")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    import logging

    logging.disable(logging.WARNING)
    rows = []
    print(HEADER, flush=True)
    print("(digits: min LRE over parameters vs reference; R*: LRE of the RSS at the estimate vs "
          "the certified RSS; conv: find_map, mle, kl)", flush=True)  # fmt: skip
    for run in all_runs(args.only):
        row = measure(run, args.timeout)
        rows.append(row)
        print(format_row(row), flush=True)
        if args.json:
            args.json.write_text(json.dumps(rows, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
