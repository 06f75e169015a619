"""Fuzzing the scenario readers: every mutated scenario is refused with a problem, or runs sanely.

Copies of caravan-2020 and of Flee's Mali scenario (imported, 30 days) are mutated by a
hypothesis-driven mutator: rows dropped, duplicated or swapped; cells replaced by junk, empty,
huge, non-finite, negative or out-of-range values; headers renamed; columns dropped; files
truncated, re-encoded (latin-1, UTF-16, byte-order mark, CRLF), deleted or replaced by a link
out of the folder; TOML values replaced; references left dangling. For each example:

- loading raises `ScenarioError` whose every problem names a file of the scenario (and, when
  a cell was changed, at least one names a row or field), with a message of bounded length; or
- the scenario loads, and a short run (both representations, `--engine agents` and `counts`)
  keeps every person (daily totals equal the departures so far; states add up to the people
  who left) with finite, non-negative outputs.

Anything else (another exception: "internal error", exit 1) fails the test. Most examples run
in-process; a few go through the `corridor` command (`check` or `run`), which must exit 0 or 2,
never 1, and never print a traceback.

Hypothesis is derandomized (same examples every run). The number of in-process examples is
`CORRIDOR_FUZZ_EXAMPLES` (default 500; `make fuzz` runs 10,000); the command-line examples are
a fortieth of it (at least 8).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import math
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import corridor
from corridor.errors import ScenarioError
from corridor.flee.extras import EXTRA_FILES
from corridor.scenario import load_scenario
from corridor.scenario.load import SCENARIO_FILES

EXAMPLES = int(os.environ.get("CORRIDOR_FUZZ_EXAMPLES", "500"))
CLI_EXAMPLES = max(8, EXAMPLES // 40)
RUN_DAYS = 6
SRC = Path(corridor.__file__).resolve().parents[1]
CARAVAN = SRC / "corridor" / "scenarios" / "caravan-2020"
MALI = Path(__file__).resolve().parents[1].parent / "shared" / "flee-scenarios" / "mali2012"
MAX_MESSAGE = 2_000  # a problem's text; a huge cell must not be echoed whole

JUNK = ["", " ", "x", "-1", "0", "-0", "0.0", "1e-320", "1e400", "-1e400", "inf", "-inf", "NaN",
        "nan", "Infinity", "+1", "1.5", "-0.5", "2", "99999999999999999999", str(2**31),
        str(2**31 - 1), str(2**63), "1e30", "-1e30", "2020-02-30", "2020-13-01", "0001-01-01",
        "9999-12-31", "2019-11-21", "2020-01-15", "=1+1", "@SUM(A1)", "-cmd", '"', "'", "é",
        "a,b", "\t", "true", "false", "[1, 2]", "{}", "#", "x" * 300, "XX", "HN", "ZZ", "town",
        "camp", "nowhere", "san-pedro-sula", "tapachula", "a.b", "A B", "\\", "\x00"]
TOML_JUNK = ['"x"', "-1", "0", "inf", "-inf", "nan", "1e400", "[]", "{}", '"2020-13-01"',
             "2020-02-30", "1979-05-27", "true", "999999999999999999999", '"caravan.2020"',
             '["closure"]', "{ a = 1 }", '"' + "y" * 5000 + '"', "1.5", '""', "0.5",
             '"flee"', '"corridor"', "2", "10001", '"HN"']

# a mutation may turn one kind of scenario into another (Mali without `model = "flee"` needs a
# departures.csv): a problem may name any file a scenario can have
KNOWN_FILES = set(SCENARIO_FILES) | set(EXTRA_FILES)

stats: Counter[str] = Counter()


def _scenario_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()
                  if p.suffix in (".csv", ".toml") and p.is_file())


@pytest.fixture(scope="module")
def bases(tmp_path_factory) -> dict[str, Path]:
    """The two scenarios mutated: caravan-2020 and Mali (imported from Flee, 30 days)."""
    root = tmp_path_factory.mktemp("fuzz-bases")
    caravan = root / "caravan"
    caravan.mkdir()
    for name in _scenario_files(CARAVAN):
        shutil.copy(CARAVAN / name, caravan / name)
    out = {"caravan": caravan}
    if MALI.is_dir():
        from corridor.flee.convert import import_flee

        mali, _ = import_flee(MALI / "input", MALI / "validation", root / "mali",
                              MALI / "simsetting.yml")
        toml = mali / "scenario.toml"
        toml.write_text("\n".join("days = 30" if line.startswith("days =") else line
                                  for line in toml.read_text().splitlines()) + "\n")
        (mali / "README.md").unlink()
        out["mali"] = mali
    for folder in out.values():
        load_scenario(folder)  # the bases themselves are valid
    return out


@pytest.fixture(scope="module", autouse=True)
def report():
    """Print how the examples ended (run pytest with -s to see it)."""
    yield
    print(f"\nfuzz: {dict(sorted(stats.items()))}")


# --- the mutator ------------------------------------------------------------------------------

def _cell_value(draw) -> str:
    return draw(st.one_of(
        st.sampled_from(JUNK),
        st.text(max_size=12),
        st.integers(-10**20, 10**20).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.just("z" * 200_000),  # over the csv module's 131,072-character cell limit
    ))


def _rows(text: str) -> list[list[str]] | None:
    try:
        return list(csv.reader(io.StringIO(text)))
    except csv.Error:  # an earlier mutation made a cell too long for the csv module
        return None


def _write_rows(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def mutate_csv(draw, text: str) -> tuple[str, str]:
    """Return the mutated text and the kind of mutation."""
    rows = _rows(text)
    if not rows:
        return text, "none"
    n = len(rows)
    op = draw(st.sampled_from(["cell", "cell", "cell", "drop_row", "dup_row", "swap_rows",
                               "header", "drop_column", "extra_cell", "empty", "header_only"]))
    if n < 2 and op not in ("header", "empty"):
        op = "header"
    if op == "cell":
        i = draw(st.integers(1, n - 1))
        j = draw(st.integers(0, max(0, len(rows[i]) - 1)))
        if rows[i]:
            rows[i][j] = _cell_value(draw)
    elif op == "drop_row":
        del rows[draw(st.integers(1, n - 1))]
    elif op == "dup_row":
        i = draw(st.integers(1, n - 1))
        rows.insert(i, list(rows[i]))
    elif op == "swap_rows":
        i, j = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
        rows[i], rows[j] = rows[j], rows[i]
    elif op == "header":
        j = draw(st.integers(0, max(0, len(rows[0]) - 1)))
        if rows[0]:
            name = rows[0][j]
            rows[0][j] = draw(st.sampled_from([name.upper(), name.capitalize(), name[:-1],
                                               name + "s", " " + name, "", "x", name + "_2"]))
    elif op == "drop_column":
        j = draw(st.integers(0, max(0, len(rows[0]) - 1)))
        rows = [r[:j] + r[j + 1:] for r in rows]
    elif op == "extra_cell":
        i = draw(st.integers(0, n - 1))
        rows[i] = [*rows[i], _cell_value(draw)]
    elif op == "empty":
        return "", "empty"
    else:
        rows = rows[:1]
    return _write_rows(rows), op


def mutate_toml(draw, text: str) -> tuple[str, str]:
    lines = text.splitlines()
    keyed = [i for i, line in enumerate(lines) if "=" in line and not line.lstrip().startswith("#")]
    op = draw(st.sampled_from(["value", "value", "value", "drop_line", "dup_line", "table"]))
    if not keyed:
        op = "table"
    if op == "value":
        i = draw(st.sampled_from(keyed))
        key = lines[i].split("=", 1)[0]
        lines[i] = f"{key}= {draw(st.sampled_from(TOML_JUNK))}"
    elif op == "drop_line":
        del lines[draw(st.sampled_from(keyed))]
    elif op == "dup_line":
        i = draw(st.sampled_from(keyed))
        lines.insert(i, lines[i])
    else:
        lines.append(draw(st.sampled_from(["[parameters]", "[[rule]]", "[x", "junk",
                                           'rule = "x"', "[parameters.move_chance]\ntown = 2"])))
    return "\n".join(lines) + "\n", op


def mutate_bytes(draw, data: bytes) -> tuple[bytes, str]:
    op = draw(st.sampled_from(["latin-1", "utf-16", "bom", "crlf", "truncate"]))
    if op == "latin-1":
        return data.decode("utf-8", errors="replace").encode("latin-1", errors="replace"), op
    if op == "utf-16":
        return data.decode("utf-8", errors="replace").encode("utf-16"), op
    if op == "bom":
        return codecs.BOM_UTF8 + data, op
    if op == "crlf":
        return data.replace(b"\n", b"\r\n"), op
    return data[:draw(st.integers(0, max(0, len(data) - 1)))], op


@st.composite
def mutations(draw, base_names: list[str]) -> dict:
    """A mutation plan: which base, which file, and the operations (1-3 of them)."""
    pick = draw(st.integers(0, 2**32 - 1))  # uniform bits: hypothesis favours first choices
    return {"base": base_names[pick % len(base_names)],
            "seed": pick % 1000,
            "engine": ("agents", "counts")[(pick >> 4) % 2],
            "ops": draw(st.lists(st.tuples(st.integers(0, 10_000),
                                           st.sampled_from(["text", "text", "text", "bytes",
                                                            "delete", "link"])),
                                 min_size=1, max_size=3))}


def apply(plan: dict, draw, base: Path, folder: Path) -> tuple[str, list[str]]:
    """Write the mutated copy of `base` into `folder`; return the last file changed and the ops.

    `draw` draws the details (which row, which value) from hypothesis as they are needed.
    """
    shutil.copytree(base, folder)
    names = _scenario_files(base)
    kinds: list[str] = []
    changed = ""
    for pick, how in plan["ops"]:
        name = names[pick % len(names)]
        path = folder / name
        changed = name
        if not path.exists() or path.is_symlink():
            continue
        if how == "delete":
            path.unlink()
            kinds.append("delete")
        elif how == "link":
            path.unlink()
            path.symlink_to("/etc/passwd")
            kinds.append("link")
        elif how == "bytes":
            data, op = mutate_bytes(draw, path.read_bytes())
            path.write_bytes(data)
            kinds.append(op)
        else:
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue
            mutated, op = (mutate_toml if name.endswith(".toml") else mutate_csv)(draw, text)
            path.write_text(mutated, encoding="utf-8")
            kinds.append(op)
    return changed, kinds


# --- the oracle -------------------------------------------------------------------------------

def check_problems(err: ScenarioError, files: set[str], kinds: list[str]) -> None:
    """A refusal names a file of the scenario for every problem (and a row for a bad cell)."""
    assert err.problems, "a ScenarioError with no problem"
    for p in err.problems:
        assert p.file in files or p.file == "--set", f"problem names no scenario file: {p}"
        assert len(str(p)) < MAX_MESSAGE, f"message of {len(str(p)):,} characters"
        assert "root:x:" not in str(p), "a refused file's content is echoed"
    if kinds == ["cell"]:
        assert any(p.row is not None or p.field for p in err.problems), err.render()


def _finite(value) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, list | tuple):
        return all(_finite(v) for v in value)
    return True


def check_run(sc, engine: str, seed: int) -> None:
    """A short run keeps every person and writes finite, non-negative numbers."""
    from corridor.engine.models import model_class

    if engine == "counts" and model_class(sc.config.model).counts_problem(sc):
        engine = "agents"
    result = corridor.run(sc, seed=seed, engine=engine)
    daily = result.daily.to_pydict()
    counts = np.asarray(daily["count"], dtype=np.int64)
    assert (counts >= 0).all(), "a negative count in daily"
    days = np.asarray(daily["day"], dtype=np.int64)
    assert days.size == 0 or (0 <= days.min() and days.max() < sc.config.days)
    totals = np.bincount(days, weights=counts, minlength=sc.config.days)
    summary = result.summary
    assert _finite(summary), f"non-finite number in the summary: {summary}"
    assert sum(summary["by_state"].values()) == summary["departed"]
    if sc.config.model == "corridor":
        expected = [sum(d.count for d in sc.departures if sc.day_of(d.date) <= k)
                    for k in range(sc.config.days)]
        assert totals.tolist() == expected, "people were lost or made"
    else:
        assert (np.diff(totals) >= 0).all(), "people disappeared"
    assert totals[-1] == summary["departed"]
    flows = np.asarray(result.flows.column("count").to_pylist(), dtype=np.int64)
    assert (flows >= 0).all()


# --- the tests --------------------------------------------------------------------------------

FUZZ = settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                suppress_health_check=list(HealthCheck), print_blob=True)


@FUZZ
@given(data=st.data())
def test_mutated_scenarios_load_or_are_refused_in_process(bases, tmp_path_factory, data):
    plan = data.draw(mutations(sorted(bases)))
    folder = tmp_path_factory.mktemp("fuzz") / "s"
    try:
        _, kinds = apply(plan, data.draw, bases[plan["base"]], folder)
        files = KNOWN_FILES
        try:
            sc = load_scenario(folder, [f"days={RUN_DAYS}", "drop_late_departures=true"])
        except ScenarioError as err:
            check_problems(err, files, kinds)
            stats["in-process refused (exit 2)"] += 1
            return
        try:
            check_run(sc, plan["engine"], plan["seed"])
        except ScenarioError as err:  # e.g. counts asked of a scenario that cannot have them
            check_problems(err, files | {"--engine", "--seed"}, kinds)
            stats["in-process refused at run (exit 2)"] += 1
            return
        stats[f"in-process ran ({plan['engine']})"] += 1
    finally:
        shutil.rmtree(folder.parent, ignore_errors=True)


@settings(FUZZ, max_examples=CLI_EXAMPLES)
@given(data=st.data(), command=st.sampled_from(["check", "run"]))
def test_mutated_scenarios_through_the_command(bases, tmp_path_factory, data, command):
    plan = data.draw(mutations(sorted(bases)))
    folder = tmp_path_factory.mktemp("fuzz-cli") / "s"
    try:
        apply(plan, data.draw, bases[plan["base"]], folder)
        args = [command, str(folder)]
        if command == "run":
            args += ["--days", str(RUN_DAYS), "--no-report", "-q", "--engine", plan["engine"],
                     "--out", str(folder.parent / "out")]
        res = subprocess.run([sys.executable, "-m", "corridor.cli.main", *args],
                             capture_output=True, text=True, timeout=600,
                             env={**os.environ, "PYTHONPATH": str(SRC)})
        assert res.returncode in (0, 2), f"exit {res.returncode}: {res.stderr[-2000:]}"
        assert "Traceback" not in res.stderr and "internal error" not in res.stderr
        if res.returncode == 2:
            files = [*KNOWN_FILES, "--engine"]
            assert res.stderr.startswith("error:") and any(f in res.stderr for f in files), \
                res.stderr[:2000]
            stats[f"command {command} refused (exit 2)"] += 1
        else:
            if command == "run":
                summary = json.loads((folder.parent / "out" / "summary.json").read_text(),
                                     parse_constant=lambda c: pytest.fail(f"{c} in summary"))
                assert sum(summary["by_state"].values()) == summary["departed"]
            stats[f"command {command} ok (exit 0)"] += 1
    finally:
        shutil.rmtree(folder.parent, ignore_errors=True)
