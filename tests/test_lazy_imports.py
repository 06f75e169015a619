"""A run imports nothing it does not use; the first compile is announced."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from corridor.engine import kernel_cache

REPO = Path(__file__).resolve().parents[1]


def test_a_quiet_flee_run_imports_nothing_it_does_not_use(shared_dir, tmp_path):
    mali = str(shared_dir / "flee-scenarios" / "mali2012" / "input")
    out_dir = str(tmp_path / "r")
    code = (
        "import sys, runpy\n"
        f"sys.argv = ['corridor', 'run', {mali!r}, '--days', '3', '--engine', 'counts',"
        f" '--no-report', '-q', '--out', {out_dir!r}]\n"
        "try:\n    runpy.run_module('corridor.cli.main', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print('LOADED', sorted(m for m in ('pandas', 'matplotlib', 'plotly', 'duckdb', 'optuna',"
        " 'scipy', 'pyarrow.compute', 'rich.progress') if m in sys.modules))\n")
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=300)
    assert "LOADED []" in out.stdout, out.stdout + out.stderr


def test_cold_kernels_follow_the_cache(tmp_path, monkeypatch):
    engine = tmp_path / "engine"
    (engine / "__pycache__").mkdir(parents=True)
    (engine / "flee_kernels.py").write_text("# kernels\n")
    monkeypatch.setattr(kernel_cache, "ENGINE", engine)
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    assert kernel_cache.cold_kernels("flee", "agents") == ["flee_kernels"]
    tag = f"py{sys.version_info.major}{sys.version_info.minor}"
    index = engine / "__pycache__" / f"flee_kernels.flee_day-10.{tag}.nbi"
    index.write_text("")
    assert kernel_cache.cold_kernels("flee", "agents") == []
    os.utime(engine / "flee_kernels.py", (index.stat().st_mtime + 10,) * 2)  # source changed
    assert kernel_cache.cold_kernels("flee", "agents") == ["flee_kernels"]


KERNELS_USED = """
import sys
from numba.core.dispatcher import Dispatcher
from corridor.engine.simulation import Simulation
from corridor.flee.convert import load_flee
base = sys.argv[1]
sc = load_flee(base + "/input", base + "/validation", base + "/simsetting.yml", ["days=3"])
Simulation(sc, seed=1, engine=sys.argv[2]).run()
used = set()
for name, mod in list(sys.modules.items()):
    if name.startswith("corridor.engine."):
        for obj in vars(mod).values():
            if (isinstance(obj, Dispatcher) and obj.overloads
                    and obj.py_func.__module__ == name):
                used.add(name.rsplit(".", 1)[1])
print("USED", ",".join(sorted(used)))
"""


@pytest.mark.parametrize("engine", ["counts", "agents"])
def test_the_kernels_checked_for_a_flee_run_are_those_it_loads(shared_dir, engine):
    # a module listed but never loaded is never cached: every run announced a compile
    mali = str(shared_dir / "flee-scenarios" / "mali2012")
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    out = subprocess.run([sys.executable, "-c", KERNELS_USED, mali, engine],
                         capture_output=True, text=True, env=env, timeout=600)
    used = next(line for line in out.stdout.splitlines() if line.startswith("USED "))
    assert set(used[5:].split(",")) == set(kernel_cache.KERNELS[("flee", engine)]), out.stderr
    assert "row_updates" not in kernel_cache.KERNELS[("flee", engine)]
