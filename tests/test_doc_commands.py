"""Every command of README.md and docs/ runs as written and does what the text says it does.

The fenced `sh`/`bash`/`console` blocks are read from the files (nothing is copied here), the
commands of each block run in order in a fresh folder (the `results/…` they write are relative
to it), and each command is checked for what its example claims: exit status 0, the folders
and files it says it writes (`--out`, `--write-params`, `--screenshot`, "report: PATH",
"results in PATH"), JSON that parses where it prints JSON, 80 columns where the issue asks it.

Only these substitutions are made: `.venv/bin/corridor` and `corridor` run this checkout's
`python -m corridor.cli.main`; `make run` runs the command of the Makefile's `run` recipe;
`FLEE/` is the Mali 2012 Flee scenario of the reference material.

Skipped, with their reason (`SKIPS`): the test suite itself, a Dask cluster, the interactive
dashboard; and a command already run as written in the same checkout (`make run` twice). The
blocks share one folder, as a reader following the docs does. Long studies (`STUDIES`:
ensembles, hundreds of runs, calibrations) run only under the `study` marker, excluded from
`make test`: `make test-doc-studies` runs them.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
DOCS = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
SHELLS = ("sh", "bash", "console", "shell")

# A command is skipped when its text contains the key; the reason is printed with the skip.
SKIPS = {
    "make test": "runs this test suite itself",
    "dask scheduler": "starts a Dask scheduler: needs a cluster",
    "dask worker": "starts a Dask worker: needs a cluster",
    "--scheduler tcp://": "needs a Dask cluster (tests/test_ensemble_dask.py runs a local one)",
    "corridor serve": "the interactive dashboard: a server that runs until stopped "
                      "(tests/test_web_browser.py drives it in a browser)",
}
# Long studies: run as written only with `-m study` (make test-doc-studies).
STUDIES = {
    "corridor ensemble caravan-2020 --runs 20 ": "a 20-member ensemble of caravan-2020 "
                                                "(about 1 min on 2 shared cores)",
    "corridor report results/ens --compare results/ens-nd": "needs the two ensembles above",
    "corridor ensemble caravan-2020 --runs 200": "200 members of caravan-2020 (about 3 min on "
                                                 "2 cores)",
    "corridor sweep caravan-2020": "9 points × 10 members of caravan-2020",
    "corridor sensitivity caravan-2020": "Sobol' and Morris studies: hundreds of runs",
    "corridor calibrate caravan-2020": "optuna calibrations: 80–200 trials",
    "corridor run caravan-2020 --params results/cal/fitted.toml": "needs the calibration above",
    "corridor crossval caravan-2018-10 caravan-2020 caravan-2021-01 --refit":
        "leave-one-out fits over three caravans",
}
# Commands a block relies on that the text asks for before it (not in the block itself).
BEFORE = {"docs/report.md": ["make run"]}


@dataclass
class Command:
    """One command of a block, as written, and what the test makes of it."""

    text: str
    skip: str = ""
    study: str = ""


@dataclass
class Block:
    """A fenced shell block: its file and line, its commands in order."""

    file: str
    line: int
    commands: list[Command] = field(default_factory=list)

    @property
    def id(self) -> str:
        """The test id: FILE:LINE."""
        return f"{self.file}:{self.line}"


def _commands(body: str) -> list[str]:
    """Join continued lines, drop comment lines and trailing comments."""
    joined = re.sub(r"\\\n\s*", " ", body)
    out = []
    for line in joined.splitlines():
        words = shlex.split(line, comments=True)
        if words:
            out.append(line.split(" #")[0].strip() if "#" in line else line.strip())
    return out


def blocks() -> list[Block]:
    """Every fenced shell block of README.md and docs/, in file order."""
    found = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"```(\w+)\n(.*?)```", text, flags=re.S):
            if m.group(1) not in SHELLS:
                continue
            name = path.relative_to(REPO).as_posix()
            block = Block(name, text[: m.start()].count("\n") + 1)
            for cmd in _commands(m.group(2)):
                plain = cmd.replace(".venv/bin/corridor", "corridor")
                skip = next((why for key, why in SKIPS.items() if key in plain), "")
                study = next((why for key, why in STUDIES.items() if plain.startswith(key)), "")
                block.commands.append(Command(cmd, skip, study))
            found.append(block)
    return found


BLOCKS = blocks()


def _make_run() -> list[str]:
    """The corridor command of the Makefile's `run` recipe."""
    recipe = re.search(r"^run:.*\n\t(.*)$", (REPO / "Makefile").read_text(), flags=re.M)
    assert recipe, "the Makefile has no run recipe"
    return shlex.split(recipe.group(1).replace("$(BIN)/corridor", "corridor"))


def _argv(text: str) -> list[str] | None:
    """The argument list of a corridor command (None: a shell command)."""
    if text.strip() == "make run":
        words = _make_run()
    else:
        words = shlex.split(text, comments=True)
    if words[0] in (".venv/bin/corridor", "corridor"):
        words = [w.replace("FLEE/", f"{SHARED / 'flee-scenarios' / 'mali2012'}/") for w in words]
        return [sys.executable, "-m", "corridor.cli.main", *words[1:]]
    return None


def _env() -> dict[str, str]:
    path = os.pathsep.join([str(REPO / "src"), *filter(None, [os.environ.get("PYTHONPATH")])])
    return {**os.environ, "PYTHONPATH": path, "COLUMNS": "80"}


def _option(argv: list[str], name: str) -> str | None:
    for i, word in enumerate(argv):
        if word == name and i + 1 < len(argv):
            return argv[i + 1]
        if word.startswith(name + "="):
            return word.split("=", 1)[1]
    return None


def check_claims(argv: list[str], out: subprocess.CompletedProcess, cwd: Path) -> None:
    """What the example claims, beyond exit 0: the files it writes, what it prints."""
    words = argv[3:]
    command = words[0]
    folder = _option(words, "--out")
    for printed in re.findall(r"^(?:report|results in|report written to)[: ]\s*(\S+)",
                              out.stdout, flags=re.M):
        target = Path(printed) if Path(printed).is_absolute() else cwd / printed
        assert target.exists(), f"it says it wrote {printed}, which does not exist"
    if command == "run":
        run_dir = cwd / folder if folder else cwd / re.search(
            r"^results in (\S+)", out.stdout, flags=re.M).group(1)
        meta = json.loads((run_dir / "run.json").read_text())
        assert meta["complete"] is True
        for name in ("daily.parquet", "flows.parquet", "outcomes.parquet", "summary.json"):
            assert (run_dir / name).is_file(), name
        if "--no-report" not in words:
            assert (run_dir / "report.html").is_file()
    elif command == "ensemble":
        for name in ("bands.parquet", "score.json", "catalog.duckdb"):
            assert (cwd / folder / name).exists(), name
        assert (cwd / folder / "report.html").is_file()
    elif command == "report":
        assert re.search(r"^report: \S+\.html", out.stdout, flags=re.M), out.stdout
    elif command == "sweep":
        assert (cwd / folder / "sweep.parquet").is_file()
    elif command == "sensitivity" and folder:
        assert (cwd / folder / "sensitivity.json").is_file()
    elif command == "calibrate":
        assert (cwd / folder / "calibration.json").is_file()
    elif command == "import-flee":
        assert (cwd / folder / "scenario.toml").is_file()
    elif command == "scenarios":
        assert "caravan-2020" in out.stdout
    elif command == "rules":  # the "fits 80 columns"
        assert max(len(line) for line in out.stdout.splitlines()) <= 80
    elif command in ("explain", "score", "check"):
        assert out.stdout.strip()
    if _option(words, "--write-params"):
        assert (cwd / _option(words, "--write-params")).is_file()
    if "--json" in words:
        json.loads(out.stdout)


def run_block(block: Block, cwd: Path, studies: bool, done: dict[str, str]) -> list[str]:
    """Run the block's commands in `cwd`; return what was left out and why.

    `cwd` is one checkout for all blocks, as a reader following the docs has: a command
    already run there as written (`done`: command → where) is not run again.
    """
    left: list[str] = []
    before = [Command(c) for c in BEFORE.get(block.file, []) if c not in done]
    for cmd in before + block.commands:
        if cmd.skip:
            left.append(f"{cmd.text}: {cmd.skip}")
            continue
        if cmd.text in done:
            left.append(f"{cmd.text}: already run as written ({done[cmd.text]})")
            continue
        done[cmd.text] = block.id
        if cmd.study and not studies:
            left.append(f"{cmd.text}: a long study ({cmd.study}); make test-doc-studies")
            continue
        argv = _argv(cmd.text)
        if argv is None:  # a shell line (chromium): run by bash as written
            if cmd.text.startswith("chromium") and not Path("/usr/bin/chromium").exists():
                left.append(f"{cmd.text}: chromium is not installed")
                continue
            out = subprocess.run(["bash", "-c", cmd.text], cwd=cwd, env=_env(), text=True,
                                 capture_output=True, timeout=300)
            assert out.returncode == 0, (cmd.text, out.stderr[-2000:])
            shot = re.search(r"--screenshot=(\S+)", cmd.text)
            if shot:
                target = Path(shot.group(1).replace("$PWD", str(cwd)))
                assert target.is_file() and target.stat().st_size > 10_000
            continue
        out = subprocess.run(argv, cwd=cwd, env=_env(), text=True, capture_output=True,
                             timeout=3600)
        assert out.returncode == 0, (f"{block.id}: {cmd.text}", out.stdout[-2000:],
                                     out.stderr[-3000:])
        check_claims(argv, out, cwd)
    return left


def test_the_docs_have_the_blocks_this_test_reads() -> None:
    names = {b.file for b in BLOCKS}
    assert {"README.md", "docs/ensembles.md", "docs/rules.md", "docs/report.md"} <= names
    commands = [c.text for b in BLOCKS for c in b.commands]
    assert len(commands) >= 30
    # every skip and study names a command that is still in the docs
    for key in [*SKIPS, *STUDIES]:
        assert any(key in c.replace(".venv/bin/corridor", "corridor") for c in commands), key


QUICK = [b for b in BLOCKS if any(not c.study for c in b.commands)]
LONG = [b for b in BLOCKS if any(c.study and not c.skip for c in b.commands)]


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """One folder for every block, and the commands already run in it."""
    return tmp_path_factory.mktemp("checkout"), {}


@pytest.mark.slow
@pytest.mark.parametrize("block", QUICK, ids=[b.id for b in QUICK])
def test_a_documented_block_runs_as_written(block: Block, checkout) -> None:
    cwd, done = checkout
    left = run_block(block, cwd, studies=False, done=done)
    for line in left:
        print(f"not run: {line}")
    if len(left) == len(block.commands):  # nothing here could run: say why, as a skip
        pytest.skip("; ".join(left))


@pytest.mark.study
@pytest.mark.parametrize("block", LONG, ids=[b.id for b in LONG])
def test_a_documented_study_runs_as_written(block: Block, tmp_path: Path) -> None:
    left = run_block(block, tmp_path, studies=True, done={})
    for line in left:
        print(f"not run: {line}")


def test_the_worked_example_commands_run_as_written(tmp_path: Path) -> None:
    """docs/building-a-scenario.md names FOLDER: write the example's files there and run them."""
    text = (REPO / "docs" / "building-a-scenario.md").read_text(encoding="utf-8")
    example = text[text.index("### A small worked example"):]
    files = re.findall(r"`([a-z_]+\.(?:toml|csv))`:\n```(?:toml|csv)\n(.*?)```", example,
                       flags=re.S)
    folder = tmp_path / "example"
    folder.mkdir()
    for name, body in files:
        (folder / name).write_text(body, encoding="utf-8")
    said = re.findall(r"`(corridor [^`]*FOLDER[^`]*)`", example)
    assert [s.split()[1] for s in said] == ["check", "run", "explain"]
    for text_ in said:
        argv = _argv(text_.replace("FOLDER", str(folder)))
        out = subprocess.run(argv, cwd=tmp_path, env=_env(), text=True, capture_output=True,
                             timeout=600)
        assert out.returncode == 0, (text_, out.stderr[-2000:])
        check_claims(argv, out, tmp_path)
    assert (tmp_path / "runs" / "example" / "report.html").is_file()
