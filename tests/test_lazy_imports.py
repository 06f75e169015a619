"""A run imports nothing it does not use; the first compile is announced."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from corridor.engine import kernel_cache

REPO = Path(__file__).resolve().parents[1]


def test_a_flee_run_does_not_import_pandas(shared_dir, tmp_path):
    mali = str(shared_dir / "flee-scenarios" / "mali2012" / "input")
    out_dir = str(tmp_path / "r")
    code = (
        "import sys, runpy\n"
        f"sys.argv = ['corridor', 'run', {mali!r}, '--days', '3', '--engine', 'counts',"
        f" '--no-report', '-q', '--out', {out_dir!r}]\n"
        "try:\n    runpy.run_module('corridor.cli.main', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print('LOADED', sorted(m for m in ('pandas', 'matplotlib', 'plotly', 'duckdb', 'optuna')"
        " if m in sys.modules))\n")
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
