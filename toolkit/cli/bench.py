"""``klmle bench``: the speed figures, measured in one run, with ratios beside them.

Sections (each can be skipped with ``--skip``):

- ``refit``: a warm ``compare("gamma", x)`` at N = 2000 (all engines) and the mle
  engine's refit alone, against one plain ``pm.find_MAP`` call on the same model
  and data, with the model's functions compiled to C (what a process that refits a
  family runs), and the same compare on PyTensor's Python implementation (a process's
  first fits of a model, :mod:`toolkit.problem.tiers`);
- ``peers``: per-fit time and log-likelihood of the mle engine against scipy.stats'
  own fit, for gamma, weibull, beta and negative_binomial at N = 2000;
- ``scaling``: time and peak memory of ``compare`` against N from 10³ to 10⁷ for
  poisson and normal, with the fitted slope of log time on log N (one child process
  per family, sizes ascending, so the peak resident memory after each size is that
  size's peak);
- ``user_model``: a user's nonlinear ``pm.Model`` of a NIST problem's size: cold (an
  empty, temporary PyTensor compile directory), first in a new process after that one
  (the same directory: what its user sees next time) and on the user's own directory
  (PyTensor reads its whole index in every new process), and a refit (a new
  ``pm.Model`` built by the same code on new data);
- ``demo``: ``klmle demo`` cold (a temporary compile directory), warm on the directory
  that cold run filled, and warm on the user's own compile directory.

Cold figures never touch the user's PyTensor cache: their child processes compile
into a temporary directory removed afterwards. Timings are medians of repeats where
a repeat is cheap. ``--json`` prints only the JSON document on stdout; progress
goes to stderr.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from toolkit.threads import one_blas_thread

SECTIONS = ("refit", "peers", "scaling", "user_model", "demo")
PEER_FAMILIES = ("gamma", "weibull", "beta", "negative_binomial")
SIZES = (10**3, 10**4, 10**5, 10**6, 10**7)
#: Rough duration of each section on a quiet 2-core machine with a warm cache (s).
DURATION = {"refit": 20, "peers": 30, "scaling": 90, "user_model": 60, "demo": 550}

#: The user's model of the ``user_model`` section, as a user writes it (run in children).
USER_MODEL = '''
import numpy as np, pymc as pm
def model(seed):
    """Misra1a's form and size (NIST StRD): 14 rows, y = b1 (1 - exp(-b2 x)) + noise."""
    rng = np.random.default_rng(seed)
    x = np.linspace(77.6, 790.0, 14)
    y = 240.0 * (1.0 - np.exp(-5.5e-4 * x)) + rng.normal(0.0, 0.1, x.size)
    with pm.Model() as m:
        b1 = pm.Flat("b1", initval=500.0)
        b2 = pm.Flat("b2", initval=1e-4)
        sigma = pm.HalfFlat("sigma")
        pm.Normal("y", b1 * (1.0 - pm.math.exp(-b2 * x)), sigma, observed=y)
    return m
'''


def run(skip: set[str], log: Callable[[str], None]) -> dict:
    """Every section not in ``skip``; figures by section."""
    sections = [s for s in SECTIONS if s not in skip]
    minutes = sum(DURATION[s] for s in sections) / 60
    log(f"klmle bench: {', '.join(sections)}; about {minutes:.0f} minutes on a quiet machine")
    out = {"machine": machine()}
    for name in sections:
        log(f"bench: {name} ...")
        t0 = time.perf_counter()
        out[name] = globals()[f"bench_{name}"](log)
        out[name]["section_seconds"] = round(time.perf_counter() - t0, 1)
    return out


def machine() -> dict:
    import platform

    import pymc
    import pytensor

    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(memory, 1),
        "python": platform.python_version(),
        "pymc": pymc.__version__,
        "pytensor": pytensor.__version__,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def _median_seconds(function: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        function()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def _sample(name: str, n: int, seed: int = 0) -> tuple[np.ndarray, dict]:
    from models import get_family

    family = get_family(name)
    options = dict(family.demo_options)
    return family.simulate(np.random.default_rng(seed), n, family.demo_params, options), options


def bench_refit(log) -> dict:
    """(a) Warm compare and mle refit against one plain ``pm.find_MAP``."""
    import pymc as pm

    from toolkit import compare
    from toolkit.config import settings_context
    from toolkit.engines import find_map, mle
    from toolkit.quiet import quiet

    x, options = _sample("gamma", 2000)
    with settings_context(compile_after=0):  # the C tier: a process that refits a family
        cmp = compare("gamma", x, **options)  # compiles (or loads) the family's graphs
        problem = cmp.problem
        model = problem.pymc.model
        start = problem.unflatten(problem.start) if problem.start is not None else None
        with quiet(), one_blas_thread():
            find_map_s = _median_seconds(
                lambda: pm.find_MAP(start=start, model=model, progressbar=False), 5
            )
            compare_s = _median_seconds(lambda: compare("gamma", x, **options), 9)
            fits = {"find_map": find_map.fit(problem, {})}
            mle_s = _median_seconds(lambda: mle.fit(problem, fits), 15)
    with settings_context(compile_after=2**62), quiet(), one_blas_thread():
        compare("gamma", x, **options)  # the Python tier's functions (rewritten or loaded)
        python_compare_s = _median_seconds(lambda: compare("gamma", x, **options), 5)
    return {
        "family": "gamma",
        "n": 2000,
        "pm_find_map_s": find_map_s,
        "compare_s": compare_s,
        "mle_refit_s": mle_s,
        "compare_speedup": find_map_s / compare_s,
        "mle_refit_speedup": find_map_s / mle_s,
        "python_tier_compare_s": python_compare_s,
        "python_tier_compare_speedup": find_map_s / python_compare_s,
    }


def bench_peers(log) -> dict:
    """(b) The mle engine against scipy.stats' fit: time per fit and log-likelihood."""
    from toolkit import compare
    from toolkit.config import settings_context
    from toolkit.engines import find_map, mle
    from toolkit.quiet import quiet

    rows = {}
    for name in PEER_FAMILIES:
        log(f"  peers: {name}")
        x, options = _sample(name, 2000)
        # The C tier: a process fitting a family many times (as scipy's fit is compiled).
        with quiet(), one_blas_thread(), settings_context(compile_after=0):
            problem = compare(name, x, **options).problem
            fits = {"find_map": find_map.fit(problem, {})}
            mle_s = _median_seconds(lambda p=problem, f=fits: mle.fit(p, f), 9)
            theta_mle = np.array(list(mle.fit(problem, fits).estimates.values()))
            scipy_s = _median_seconds(problem.peer_fit, 3)
            theta_scipy = problem.peer_fit()
        rows[name] = {
            "mle_s": mle_s,
            "scipy_s": scipy_s,
            "speedup": scipy_s / mle_s,
            "loglik_mle": problem.loglik(theta_mle),
            "loglik_scipy": problem.loglik(theta_scipy),
            "loglik_gain": problem.loglik(theta_mle) - problem.loglik(theta_scipy),
        }
    return rows


_SCALING_CHILD = """
import json, resource, sys, time, numpy as np
from toolkit import compare
from toolkit.quiet import quiet
family, sizes = sys.argv[1], [int(s) for s in sys.argv[2].split(",")]
def sample(n):
    rng = np.random.default_rng(n)
    return rng.poisson(3.0, n) if family == "poisson" else rng.normal(1.0, 2.0, n)
with quiet():
    compare(family, sample(1000))  # the graphs, loaded once
for n in sizes:
    x = sample(n)
    t0 = time.perf_counter()
    with quiet():
        cmp = compare(family, x)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    skipped = [e for e, f in cmp.fits.items() if f.certificate.status.startswith("skipped")]
    print(json.dumps({"n": n, "seconds": seconds, "peak_mb": peak, "verdict": cmp.verdict,
                      "skipped": skipped}), flush=True)
"""


def bench_scaling(log) -> dict:
    """(c) Time and peak memory against N, and the slope of log time on log N."""
    out = {}
    for family in ("poisson", "normal"):
        log(f"  scaling: {family}, N = {', '.join(f'{n:.0e}' for n in SIZES)}")
        lines = _child(_SCALING_CHILD, [family, ",".join(str(n) for n in SIZES)])
        rows = [json.loads(line) for line in lines]
        n = np.array([r["n"] for r in rows], dtype=float)
        seconds = np.array([r["seconds"] for r in rows])
        big = n >= 1e5
        slope = float(np.polyfit(np.log10(n[big]), np.log10(seconds[big]), 1)[0])
        out[family] = {"rows": rows, "slope_log_time_log_n_from_1e5": slope}
    # A process's memory includes PyTensor's index of the whole compile directory.
    out["your_cache_modules"] = _cached_modules()
    return out


_USER_CHILD = (
    USER_MODEL
    + """
import json, time
from toolkit import compare
from toolkit.quiet import quiet
t0 = time.perf_counter()
with quiet():
    first = compare(model(1))
first_s = time.perf_counter() - t0
t0 = time.perf_counter()
with quiet():
    second = compare(model(2))
print(json.dumps({"first_s": first_s, "refit_s": time.perf_counter() - t0,
                  "verdicts": [first.verdict, second.verdict]}))
"""
)


def bench_user_model(log) -> dict:
    """(d) A user's nonlinear model: cold, first in a warm process, refit on new data.

    Cold runs in a temporary compile directory; "warm" is a new process on that same
    directory after the cold run (what a user sees the next time), and again on the
    user's own compile directory, whose size PyTensor reads in every new process.
    """
    with tempfile.TemporaryDirectory(prefix="klmle-bench-cache-") as folder:
        log("  user model: cold (temporary compile directory)")
        cold = json.loads(_child(_USER_CHILD, [], compiledir=folder)[-1])
        log("  user model: a new process after the cold one")
        warm = json.loads(_child(_USER_CHILD, [], compiledir=folder)[-1])
    log("  user model: a new process on your compile directory")
    yours = json.loads(_child(_USER_CHILD, [])[-1])
    return {
        "model": "Misra1a's form and size: 3 parameters, 14 rows",
        "cold_first_s": cold["first_s"],
        "warm_first_s": warm["first_s"],
        "refit_s": warm["refit_s"],
        "your_cache_first_s": yours["first_s"],
        "your_cache_modules": _cached_modules(),
        "verdicts": warm["verdicts"],
    }


def _cached_modules() -> int:
    """Compiled modules in PyTensor's compile directory (each new process reads them all)."""
    import pytensor

    folder = Path(pytensor.config.compiledir)
    return sum(1 for p in folder.glob("tmp*") if p.is_dir()) if folder.is_dir() else 0


def bench_demo(log) -> dict:
    """(e) ``klmle demo``, wall time of the whole command: cold (an empty, temporary
    compile directory), warm on the directory that cold run filled (what a new user sees
    the second time), and warm on the user's own directory (PyTensor reads its whole
    index in every new process: a directory that holds other projects' or older
    versions' modules costs seconds more)."""
    out = {}
    code = "import sys\nfrom toolkit.cli import main; main(['demo', '--output', sys.argv[1]])"
    with (
        tempfile.TemporaryDirectory(prefix="klmle-bench-demo-") as folder,
        tempfile.TemporaryDirectory(prefix="klmle-bench-cache-") as cache,
    ):
        runs = (("cold", cache), ("warm_after_cold", cache), ("warm", None))
        for kind, compiledir in runs:
            log(f"  demo: {kind.replace('_', ' ')}")
            t0 = time.perf_counter()
            _child(code, [os.path.join(folder, f"{kind}.html")], compiledir=compiledir)
            out[f"{kind}_s"] = time.perf_counter() - t0
    out["your_cache_modules"] = _cached_modules()
    return out


def _child(code: str, args: list[str], *, compiledir: str | None = None) -> list[str]:
    """Run ``code`` in a new Python process; its stdout lines.

    ``compiledir``: PyTensor's base compile directory for it (a temporary one: cold);
    None: the user's.
    """
    env = dict(os.environ)
    if compiledir is not None:
        flags = env.get("PYTENSOR_FLAGS", "")
        env["PYTENSOR_FLAGS"] = f"{flags},base_compiledir={compiledir}".lstrip(",")
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench child failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return [line for line in done.stdout.splitlines() if line.strip()]


def format_text(figures: dict) -> str:
    """The figures as lines a person reads, ratios beside absolute times."""
    lines = []
    m = figures["machine"]
    lines.append(
        f"machine: {m['cores']} cores, {m['memory_gib']} GiB, Python {m['python']}, "
        f"PyMC {m['pymc']}, PyTensor {m['pytensor']}, load {m['load_average']}"
    )
    if "refit" in figures:
        r = figures["refit"]
        lines.append(
            f"(a) gamma N={r['n']}: pm.find_MAP {r['pm_find_map_s'] * 1e3:.1f} ms; warm compare "
            f"{r['compare_s'] * 1e3:.1f} ms ({r['compare_speedup']:.0f}x faster); mle refit "
            f"{r['mle_refit_s'] * 1e3:.2f} ms ({r['mle_refit_speedup']:.0f}x faster); on the "
            f"Python tier (a process's first fits) compare {r['python_tier_compare_s'] * 1e3:.1f}"
            f" ms ({r['python_tier_compare_speedup']:.0f}x faster)"
        )
    for name, r in figures.get("peers", {}).items():
        if name == "section_seconds":
            continue
        lines.append(
            f"(b) {name}: mle {r['mle_s'] * 1e3:.2f} ms, scipy fit {r['scipy_s'] * 1e3:.2f} ms "
            f"(scipy time / mle time {r['speedup']:.2g}); loglik mle - scipy = "
            f"{r['loglik_gain']:.3g}"
        )
    for family, r in figures.get("scaling", {}).items():
        if not isinstance(r, dict):
            continue
        cells = ", ".join(
            f"{row['n']:.0e}: {row['seconds']:.2f} s {row['peak_mb']:.0f} MB" for row in r["rows"]
        )
        slope = r["slope_log_time_log_n_from_1e5"]
        lines.append(
            f"(c) {family}: {cells}; slope of log time on log N (N >= 1e5) {slope:.2f} "
            f"(a compile directory of {figures['scaling']['your_cache_modules']} modules)"
        )
    if "user_model" in figures:
        r = figures["user_model"]
        lines.append(
            f"(d) user model ({r['model']}): cold {r['cold_first_s']:.1f} s, first in a new "
            f"process {r['warm_first_s']:.1f} s (on your compile directory of "
            f"{r['your_cache_modules']} modules: {r['your_cache_first_s']:.1f} s), refit of a "
            f"new model {r['refit_s']:.2f} s"
        )
    if "demo" in figures:
        r = figures["demo"]
        lines.append(
            f"(e) klmle demo: cold {r['cold_s']:.0f} s, warm {r['warm_after_cold_s']:.0f} s "
            f"(on your compile directory of {r['your_cache_modules']} modules: "
            f"{r['warm_s']:.0f} s)"
        )
    return "\n".join(lines)
