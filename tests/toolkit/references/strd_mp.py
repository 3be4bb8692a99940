"""Extended-precision (mpmath) evaluation of the StRD references.

The data are read from NIST's decimal text, not from float64, so these are the exact
problems NIST certified. Used by ``test_references.py`` to check the transcriptions.
"""

from __future__ import annotations

from types import SimpleNamespace

import mpmath as mp

#: The ``math`` namespace for model functions evaluated on mpmath scalars.
MP = SimpleNamespace(
    exp=mp.exp, log=mp.log, cos=mp.cos, sin=mp.sin, arctan=mp.atan, sqrt=mp.sqrt, pi=mp.pi
)


def mpf_list(values) -> list:
    """Decimal strings (or numbers) to mpf at the current precision."""
    return [mp.mpf(v) for v in values]


def nls_rows(problem) -> tuple[list, list]:
    """Rows (x_i, y_i) of a StRD nonlinear problem in mpmath; x_i a tuple for Nelson."""
    t = problem.text
    if problem.name == "Nelson":
        xs = list(zip(mpf_list(t["x1"]), mpf_list(t["x2"]), strict=True))
        ys = [mp.log(v) for v in mpf_list(t["y"])]
    else:
        xs, ys = mpf_list(t["x"]), mpf_list(t["y"])
    return xs, ys


def nls_residuals(problem, b, rows=None) -> list:
    xs, ys = rows or nls_rows(problem)
    return [y - problem.model(x, b, MP) for x, y in zip(xs, ys, strict=True)]


def nls_rss(problem, b, rows=None):
    return mp.fsum(r * r for r in nls_residuals(problem, b, rows))


def nls_jacobian(problem, b, rows=None) -> mp.matrix:
    """d f(x_i; b) / d b_j by central differences, accurate to about 2/3 of the digits."""
    rows = rows or nls_rows(problem)
    n, k = len(rows[1]), len(b)
    jac = mp.matrix(n, k)
    for j in range(k):
        h = abs(b[j]) * mp.mpf(10) ** (-mp.mp.dps // 3) or mp.mpf(10) ** (-mp.mp.dps // 3)
        up = [v + h if i == j else v for i, v in enumerate(b)]
        down = [v - h if i == j else v for i, v in enumerate(b)]
        r_up, r_down = nls_residuals(problem, up, rows), nls_residuals(problem, down, rows)
        for i in range(n):
            jac[i, j] = (r_down[i] - r_up[i]) / (2 * h)  # residual = y - f
    return jac


def stationarity(problem, b, rows=None) -> list:
    """|cos| of the angle between the residual vector and each Jacobian column.

    Zero at a least-squares solution; scale-free, so one tolerance fits every problem.
    """
    rows = rows or nls_rows(problem)
    r = mp.matrix(nls_residuals(problem, b, rows))
    jac = nls_jacobian(problem, b, rows)
    norm_r = mp.norm(r)
    out = []
    for j in range(jac.cols):
        col = jac.column(j)
        out.append(abs(mp.fdot(col, r)) / (mp.norm(col) * norm_r))
    return out


def gauss_newton(problem, b, rows=None, max_iter: int = 30, rtol=None) -> tuple[list, int]:
    """Gauss-Newton from ``b`` in the current precision; columns scaled for conditioning.

    Returns the solution and the number of iterations taken.
    """
    rows = rows or nls_rows(problem)
    b = list(b)
    rtol = rtol or mp.mpf(10) ** (-(2 * mp.mp.dps) // 3)
    for it in range(1, max_iter + 1):
        r = mp.matrix(nls_residuals(problem, b, rows))
        jac = nls_jacobian(problem, b, rows)
        scale = [mp.norm(jac.column(j)) for j in range(jac.cols)]
        for j, s in enumerate(scale):
            for i in range(jac.rows):
                jac[i, j] /= s
        step = mp.lu_solve(jac.T * jac, jac.T * r)
        b = [v + step[j] / scale[j] for j, v in enumerate(b)]
        if all(abs(step[j] / scale[j]) <= rtol * abs(v) for j, v in enumerate(b)):
            return b, it
    return b, max_iter


def lre(estimate, reference) -> float:
    """Correct significant digits, -log10(|est - ref| / |ref|), capped at 17 (NIST's LRE)."""
    with mp.workdps(50):
        ref = mp.mpf(reference)
        err = abs(mp.mpf(estimate) - ref)
        if err == 0:
            return 17.0
        if ref == 0:
            return min(17.0, float(-mp.log10(err)))
        return min(17.0, float(-mp.log10(err / abs(ref))))


def least_squares(design_rows, y, dps: int = 60) -> tuple[list, mp.mpf]:
    """Least squares from the normal equations in ``dps`` digits: (beta, RSS)."""
    with mp.workdps(dps):
        x = mp.matrix([mpf_list(row) for row in design_rows])
        yy = mp.matrix(mpf_list(y))
        beta = mp.lu_solve(x.T * x, x.T * yy)
        resid = yy - x * beta
        return [beta[i] for i in range(x.cols)], mp.fsum(v * v for v in resid)


def certify_nonlinear(dps: int = 30) -> list[dict]:
    """Gauss-Newton from the certified values in ``dps`` digits, for every StRD problem.

    Reports the correct digits of NIST's certified values against that optimum and the
    relative difference of the optimum's RSS from NIST's certified RSS. Slow (~30 s).
    """
    import strd_nonlinear

    out = []
    for name in strd_nonlinear.PROBLEMS:
        problem = strd_nonlinear.load(name)
        with mp.workdps(dps):
            rows = nls_rows(problem)
            certified = mpf_list(problem.text["certified"])
            optimum, iterations = gauss_newton(problem, certified, rows, max_iter=40)
            rss = nls_rss(problem, optimum, rows)
            rel = abs(rss / mp.mpf(problem.text["rss"][0]) - 1)
            digits = min(lre(c, o) for c, o in zip(certified, optimum, strict=True))
        out.append({"problem": name, "iterations": iterations, "certified_digits": digits,
                    "rss_rel_diff": float(rel)})  # fmt: skip
    return out


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    for row in certify_nonlinear():
        print(f"{row['problem']:9s} GN iterations {row['iterations']:2d}  certified values "
              f"correct to {row['certified_digits']:5.2f} digits  RSS rel. diff "
              f"{row['rss_rel_diff']:.1e}")  # fmt: skip
