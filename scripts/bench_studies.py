"""Time the studies' headline workload: convergence("normal", sizes=[100, 1000, 10000], reps=100).

    python scripts/bench_studies.py [--n-jobs 2]

Prints the time of the first fit (PyTensor compiles or loads the family's graph: once
per process) and of the 300 fits after it, as README.md reports them.
"""

from __future__ import annotations

import argparse
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--reps", type=int, default=100)
    args = parser.parse_args()

    t0 = time.perf_counter()
    from toolkit.studies import convergence

    imported = time.perf_counter()
    convergence("normal", sizes=[100], reps=1, seed=99)  # the graph, compiled or loaded
    warm = time.perf_counter()
    frame = convergence(
        "normal", sizes=[100, 1000, 10000], reps=args.reps, seed=0, n_jobs=args.n_jobs
    )
    done = time.perf_counter()
    fits = frame.drop_duplicates(["n", "rep"]).shape[0]
    ok = int((frame.drop_duplicates(["n", "rep"])["status"] == "ok").sum())
    scaled = frame.drop_duplicates(["n", "rep"])
    nkl = (scaled["n"] * scaled["kl_true"]).groupby(scaled["n"]).mean()
    print(f"import {imported - t0:.1f} s; first fit (graph) {warm - imported:.1f} s")
    print(f"{fits} fits (n_jobs={args.n_jobs}): {done - warm:.1f} s, {ok} certified")
    print("N·E[KL] by N (k/2 = 1):", ", ".join(f"{n}: {v:.3f}" for n, v in nkl.items()))


if __name__ == "__main__":
    main()
