"""Where a whole-process `corridor run` of a Flee scenario spends its time, step by step.

Run in a fresh process (the point is the first imports and the first kernel load):
`.venv/bin/python -m benchmarks.startup_phases [counts|agents]`. It takes the steps
`corridor run INPUT --flee-validation ... --flee-settings ... -q --no-report` takes (imports,
reading and converting the Flee folder, the run, writing the run folder) without typer's
argument parsing, and prints the time of each; the kernels must be cached (run once first).
Mali 2012, 300 days. Not a test: a measurement to read alongside `flee_end_to_end`.
"""

from __future__ import annotations

import sys
import time

T0 = time.perf_counter()
_marks: list[tuple[str, float]] = []


def _mark(name: str) -> None:
    _marks.append((name, time.perf_counter()))


def main(engine: str = "counts") -> int:
    """Time each step once and print the table."""
    import numpy  # noqa: F401

    _mark("importing numpy")
    import corridor.engine  # noqa: F401  # imports numba (corridor.engine.jit_cache)

    _mark("importing numba (SciPy hidden)")
    import pyarrow.parquet  # noqa: F401

    _mark("importing pyarrow and pyarrow.parquet")
    import typer  # noqa: F401

    import corridor.cli.main  # noqa: F401

    _mark("importing typer and the command line")
    import pathlib
    import tempfile

    from benchmarks.flee_benchmark import scenario_dirs
    from corridor.api import run
    from corridor.engine.simulation import Simulation
    from corridor.flee.convert import load_flee

    _mark("importing the API, engine and Flee reader")
    input_dir, validation_dir, settings = scenario_dirs("mali2012")
    scenario = load_flee(input_dir, validation_dir, settings, ["days=300"])
    _mark("reading and converting the Flee folder")
    first: list[float] = []
    step = Simulation.step

    def timed_step(self, *args, **kwargs):
        out = step(self, *args, **kwargs)
        if not first:
            first.append(time.perf_counter())
        return out

    Simulation.step = timed_step
    with tempfile.TemporaryDirectory() as tmp:
        run(scenario, seed=0, out=pathlib.Path(tmp) / "run", engine=engine)
        end = time.perf_counter()
    _marks.append(("the first day (numba's target set-up, cached kernels)", first[0]))
    _marks.append(("the other days and writing the run folder", end))
    previous = T0
    for name, at in _marks:
        print(f"{name:<56}{at - previous:7.3f} s")
        previous = at
    print(f"{'total inside the process':<56}{previous - T0:7.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:2]))
