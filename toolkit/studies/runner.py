"""Running a study's tasks: serially, on joblib's workers or on a Dask cluster; resumable.

A study is a :class:`Plan`: its tasks (one sample size and replication each), the
module-level function that does one task, and what that function shares across
tasks (:class:`Job`). :func:`execute` skips the tasks its store already holds, runs
the others where it is told to, records each one in the store as soon as it
finishes, and returns the rows of every task in the plan's order, so the frame is
the same whichever way, and in however many runs, it was computed.

Each worker process fits one task at a time (PyTensor's compiled functions are not
thread-safe, so a Dask worker with several threads runs them one after another)
with BLAS on one thread, and keeps its compiled graphs between tasks: a family's
graph is compiled once per worker and refitted by swapping data.
"""

from __future__ import annotations

import numbers
import os
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from toolkit.config import settings_context
from toolkit.quiet import quiet
from toolkit.studies.seeds import task_rng
from toolkit.studies.store import Store, normalise
from toolkit.threads import one_blas_thread

#: progress(finished tasks, all tasks), called at the start and after every task.
Progress = Callable[[int, int], None]
#: One task's rows, by (n, rep).
Rows = list[dict[str, Any]]

_ONE_AT_A_TIME = threading.Lock()


@dataclass(frozen=True)
class Task:
    """One sample: its size and replication number."""

    n: int
    rep: int

    @property
    def key(self) -> tuple[int, int]:
        return (self.n, self.rep)


@dataclass(frozen=True)
class Job:
    """What every task of a study shares; sent to each worker with its task.

    ``work(context, task, rng)`` returns the task's rows; ``failed(context, task,
    status)`` the rows of a task whose fit raised, with ``status`` saying why.
    Both must be module-level functions (workers import them by name).
    """

    study: str
    family: str
    seed: int
    work: Callable[[Any, Task, np.random.Generator], Rows]
    failed: Callable[[Any, Task, str], Rows]
    context: Any


@dataclass(frozen=True)
class Plan:
    """A study ready to run: its job, its tasks in order, its arguments and its columns."""

    job: Job
    tasks: tuple[Task, ...]
    arguments: Mapping[str, Any]
    columns: tuple[str, ...]

    @property
    def study(self) -> str:
        return self.job.study


def grid(sizes: Sequence[int], reps: int) -> tuple[Task, ...]:
    """Every (n, rep), sizes ascending, replications 0 .. reps − 1 within each."""
    return tuple(Task(n, rep) for n in sizes for rep in range(reps))


#: Studies of at least this many tasks compile their models to C from the first fit; smaller
#: ones run every fit on PyTensor's Python implementation (a cold C compile of a family's
#: derivatives costs more than a few hundred fits there). One tier for the whole study,
#: chosen from its plan (:mod:`toolkit.problem.tiers`), so that serial, parallel and
#: resumed runs give identical frames.
C_TASKS = 200

#: ``compile_after`` of a study's fits on the Python tier: never C.
_NEVER = 2**62


def compile_after(tasks: Sequence[Task]) -> int:
    """The ``compile_after`` setting of every fit of a study with ``tasks``."""
    return 0 if len(tasks) >= C_TASKS else _NEVER


def run_task(job: Job, task: Task, tier: int = 0) -> tuple[tuple[int, int], Rows]:
    """One task's rows, as JSON gives them back; a fit that raises gives rows with its status.

    ``tier``: the ``compile_after`` setting of its fits (:func:`compile_after`).
    """
    with _ONE_AT_A_TIME, one_blas_thread(), quiet(), settings_context(compile_after=tier):
        rng = task_rng(job.seed, job.study, job.family, task.n, task.rep)
        try:
            rows = job.work(job.context, task, rng)
        except Exception as err:  # a failed fit is a row, never a crashed study
            rows = job.failed(job.context, task, f"failed: {type(err).__name__}: {err}")
    return task.key, normalise(rows)


def execute(
    plan: Plan,
    *,
    store: str | os.PathLike | None = None,
    n_jobs: int = 1,
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Run ``plan``'s unfinished tasks and return every task's rows as one frame.

    Parameters
    ----------
    plan : Plan
    store : path-like, optional
        Append-only file of finished tasks (:mod:`toolkit.studies.store`): tasks it
        holds are not run again; each task is recorded as it finishes.
    n_jobs : int
        Worker processes of joblib (1: in this process; −1: one per core).
    scheduler : str, optional
        Address of a Dask distributed scheduler (``"tcp://host:port"``): the tasks run
        on its workers instead (``klmle[dask]``).
    progress : callable, optional
        ``progress(finished, total)``.

    Returns
    -------
    pandas.DataFrame
        The rows of every task in the plan's order, with ``attrs`` holding the study's
        name and arguments and ``attrs["tasks"]`` how many tasks were run now and how
        many came from the store.
    """
    check_n_jobs(n_jobs)
    if scheduler is not None and not isinstance(scheduler, str):
        raise TypeError(
            f"scheduler must be an address such as 'tcp://host:port', got {scheduler!r}"
        )
    total = len(plan.tasks)
    opened = Store(store, plan.study, plan.arguments) if store is not None else None
    with opened if opened is not None else nullcontext():
        done = dict(opened.done) if opened is not None else {}
        stored = len(done)
        todo = [task for task in plan.tasks if task.key not in done]
        if progress is not None:
            progress(len(done), total)
        results = _results(plan.job, todo, compile_after(plan.tasks), n_jobs, scheduler)
        try:
            for key, rows in results:
                done[key] = rows
                if opened is not None:
                    opened.record(key, rows)
                if progress is not None:
                    progress(len(done), total)
        finally:
            results.close()
    rows = [row for task in plan.tasks for row in done[task.key]]
    frame = frame_of(rows, plan.columns, plan.study, plan.arguments)
    frame.attrs["tasks"] = {"total": total, "from_store": stored, "ran": total - stored}
    return frame


def frame_of(
    rows: Rows, columns: Sequence[str], study: str, arguments: Mapping[str, Any]
) -> pd.DataFrame:
    """The tidy frame of ``rows`` with a study's columns, its name and arguments in attrs."""
    frame = pd.DataFrame.from_records(rows, columns=list(columns))
    frame.attrs = {"study": study, "arguments": normalise(dict(arguments))}
    return frame


def check_n_jobs(n_jobs: object) -> int:
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral) or n_jobs == 0:
        raise ValueError(f"n_jobs must be a non-zero integer (−1: every core), got {n_jobs!r}")
    return int(n_jobs)


def _results(
    job: Job, tasks: list[Task], tier: int, n_jobs: int, scheduler: str | None
) -> Iterator:
    if not tasks:
        return
    if scheduler is not None:
        yield from _on_dask(job, tasks, tier, scheduler)
    elif n_jobs == 1:
        for task in tasks:
            yield run_task(job, task, tier)
    else:
        yield from _on_joblib(job, tasks, tier, n_jobs)


def _on_joblib(job: Job, tasks: list[Task], tier: int, n_jobs: int):
    from joblib import Parallel, delayed

    parallel = Parallel(n_jobs=n_jobs, return_as="generator_unordered", batch_size=1)
    results = parallel(delayed(run_task)(job, task, tier) for task in tasks)
    try:
        yield from results
    finally:
        results.close()  # stops the workers' remaining tasks (Ctrl-C, an error)


def _on_dask(job: Job, tasks: list[Task], tier: int, address: str):
    try:
        from distributed import Client, as_completed
    except ImportError:  # pragma: no cover - the optional extra is not installed
        raise ImportError(
            "a Dask scheduler needs dask.distributed: pip install 'klmle[dask]'"
        ) from None
    with Client(address, set_as_default=False) as client:
        futures = [client.submit(run_task, job, task, tier, pure=False) for task in tasks]
        try:
            for future in as_completed(futures, loop=client.loop):
                yield future.result()
        finally:
            client.cancel(futures)
