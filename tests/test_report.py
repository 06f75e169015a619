"""Tests of `corridor report`: one offline HTML file, every section, PNGs, compare mode, errors."""

from __future__ import annotations

import json
import re
import shutil
import sys
import types
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from corridor.errors import ScenarioError

# --------------------------------------------------------------------------------------------
# A small synthetic run folder that follows docs/design/outputs.md, written without the engine.
# --------------------------------------------------------------------------------------------

PLACES = [
    # id, name, country, kind, lat, lon
    ("sps", "San Pedro Sula", "HN", "origin", 15.506, -88.025),
    ("agua-caliente", "Agua Caliente", "HN", "border_crossing", 14.47, -89.21),
    ("esquipulas", "Esquipulas", "GT", "town", 14.565, -89.351),
    ("guatemala-city", "Guatemala City", "GT", "shelter", 14.639, -90.509),
    ("tecun-uman", "Tecún Umán", "GT", "town", 14.679, -92.142),
    ("ciudad-hidalgo", "Ciudad Hidalgo", "MX", "border_crossing", 14.679, -92.150),
    ("siglo-xxi", "Siglo XXI station", "MX", "migration_station", 14.90, -92.26),
    ("tapachula", "Tapachula", "MX", "town", 14.916, -92.270),
    ("mexico-city", "Mexico City", "MX", "town", 19.437, -99.139),
    ("tijuana", "Tijuana", "MX", "border_city", 32.500, -116.964),
    ("san-ysidro", "San Ysidro port", "US", "port_of_entry", 32.54, -117.03),
    ("us-interior", "San Diego", "US", "destination", 32.72, -117.16),
]
PATH = [
    "sps",
    "agua-caliente",
    "esquipulas",
    "guatemala-city",
    "tecun-uman",
    "ciudad-hidalgo",
    "tapachula",
    "mexico-city",
    "tijuana",
]
COUNTRY = {p[0]: p[2] for p in PLACES}
KIND = {p[0]: p[3] for p in PLACES}
COUNTRY_ORDER = ["HN", "GT", "MX", "US"]


REAL_RULES = """
[[rule]]
id = "mx-transit-denial"
kind = "border_control"
title = "Mexico stops irregular entrants"
start = "2019-06-07"
where = { border = "GT>MX" }
then = "detain"
detain_at = "siglo-xxi"

[[rule]]
id = "us-mpp"
kind = "mpp"
start = "2019-01-29"
city = "tijuana"
port = "san-ysidro"
us_place = "us-interior"
home = "sps"

[[rule]]
id = "hn-aca"
kind = "aca"
start = "2020-02-01"
partner = "HN"
applied = false
"""


@dataclass
class Person:
    depart: int
    place: str = "sps"
    state: str = "in_transit"
    route_to: str | None = None
    timer: int = 0


def write_run(
    folder: Path,
    *,
    seed: int = 0,
    n: int = 300,
    days: int = 30,
    detain: float = 0.35,
    name: str = "synthetic",
) -> Path:
    """Write a run folder of a tiny caravan-like corridor, simulated by a toy model."""
    rng = np.random.default_rng(seed)
    start = date(2020, 1, 14)
    people = [Person(depart=int(rng.integers(0, 3))) for _ in range(n)]
    visited: list[list[str]] = [["sps"] for _ in people]
    daily: Counter = Counter()
    flows: Counter = Counter()
    trans: Counter = Counter()

    def change(i: int, day: int, to_state: str, rule: str, place: str | None = None) -> None:
        p = people[i]
        trans[(day, place or p.place, p.state, to_state, rule)] += 1
        p.state = to_state
        if place:
            p.place = place
            visited[i].append(place)

    for day in range(days):
        for i, p in enumerate(people):
            if day < p.depart:
                continue
            if day == p.depart:
                trans[(day, "sps", "", "in_transit", "departure")] += 1
            elif p.route_to:  # arrive
                flows[(day, p.place, p.route_to)] += 1
                p.place, p.route_to = p.route_to, None
                visited[i].append(p.place)
                u = rng.random()
                if p.place == "tecun-uman" and u < 0.05:
                    change(i, day, "returned_voluntary", "voluntary-return", "sps")
                elif p.place == "tecun-uman" and u < 0.08:
                    change(i, day, "gave_up", "give-up")
                elif p.place == "ciudad-hidalgo" and u < detain:
                    change(i, day, "detained", "mx-transit-denial", "siglo-xxi")
                    p.timer = 3
                elif p.place == "tapachula" and u < 0.10:
                    change(i, day, "settled_south", "mx-work-offer")
                elif p.place == "tapachula" and u < 0.18:
                    change(i, day, "asylum_transit", "mx-comar")
                elif p.place == "tijuana" and u < 0.6:
                    change(i, day, "waiting_metering", "us-metering")
                    p.timer = 3
            elif p.state == "detained":
                p.timer -= 1
                if p.timer <= 0:
                    to = "returned_air" if rng.random() < 0.6 else "returned_land"
                    change(i, day, to, "mx-return", "sps")
            elif p.state == "waiting_metering":
                p.timer -= 1
                if p.timer <= 0:
                    u = rng.random()
                    if u < 0.5:
                        visited[i].append("san-ysidro")
                        change(i, day, "waiting_mpp", "us-mpp")
                    elif u < 0.7:
                        visited[i].append("san-ysidro")
                        change(i, day, "us_proceedings", "us-asylum", "us-interior")
                    elif u < 0.8:
                        visited[i].append("san-ysidro")
                        change(i, day, "transferred_aca", "us-aca-guatemala", "guatemala-city")
                    else:
                        p.timer = 5
            elif p.state == "in_transit" and p.place == "tijuana":
                if rng.random() < 0.3:
                    to = "apprehended_us" if rng.random() < 0.7 else "entered_us_irregular"
                    change(i, day, to, "us-border-patrol", "us-interior")
            elif p.state == "in_transit" and p.place in PATH[:-1] and rng.random() < 0.6:
                p.route_to = PATH[PATH.index(p.place) + 1]
            position = f"{p.place}>{p.route_to}" if p.route_to else p.place
            daily[(day, position, p.state)] += 1

    def dated(rows: list[dict]) -> list[dict]:
        for row in rows:
            row["run_id"] = f"{name}-{seed}"
            row["date"] = start + timedelta(days=row["day"])
        return rows

    folder.mkdir(parents=True, exist_ok=True)
    i32, i64, s = pa.int32(), pa.int64(), pa.string()
    schema = {"run_id": s, "day": i32, "date": pa.date32()}
    daily_rows = dated(
        [
            {"day": d, "place": pl, "state": st, "count": c}
            for (d, pl, st), c in sorted(daily.items())
        ]
    )
    pq.write_table(
        pa.Table.from_pylist(
            daily_rows, pa.schema({**schema, "place": s, "state": s, "count": i64})
        ),
        folder / "daily.parquet",
    )
    flow_rows = dated(
        [
            {"day": d, "from_place": a, "to_place": b, "count": c}
            for (d, a, b), c in sorted(flows.items())
        ]
    )
    pq.write_table(
        pa.Table.from_pylist(
            flow_rows, pa.schema({**schema, "from_place": s, "to_place": s, "count": i64})
        ),
        folder / "flows.parquet",
    )
    trans_rows = dated(
        [
            {"day": d, "place": pl, "from_state": a, "to_state": b, "rule": r, "count": c}
            for (d, pl, a, b, r), c in sorted(trans.items())
        ]
    )
    pq.write_table(
        pa.Table.from_pylist(
            trans_rows,
            pa.schema(
                {**schema, "place": s, "from_state": s, "to_state": s, "rule": s, "count": i64}
            ),
        ),
        folder / "transitions.parquet",
    )
    outcomes: Counter = Counter()
    for p, seen in zip(people, visited, strict=True):
        countries = [c for c in COUNTRY_ORDER if c in {COUNTRY[x] for x in seen}]
        kinds = list(dict.fromkeys(KIND[x] for x in seen))
        outcomes[(p.state, p.place, ",".join(countries), ",".join(kinds))] += 1
    out_rows = [
        {
            "run_id": f"{name}-{seed}",
            "state": st,
            "place": pl,
            "countries": c,
            "kinds": k,
            "count": n_,
        }
        for (st, pl, c, k), n_ in sorted(outcomes.items())
    ]
    pq.write_table(
        pa.Table.from_pylist(
            out_rows,
            pa.schema(
                {"run_id": s, "state": s, "place": s, "countries": s, "kinds": s, "count": i64}
            ),
        ),
        folder / "outcomes.parquet",
    )

    last = days - 1
    by_state: dict[str, int] = defaultdict(int)
    by_place: dict[str, int] = defaultdict(int)
    for (d, pl, st), c in daily.items():
        if d == last:
            by_state[st] += c
            by_place[pl] += c
    (folder / "summary.json").write_text(
        json.dumps(
            {
                "run_id": f"{name}-{seed}",
                "scenario": name,
                "departed": n,
                "days": days,
                "final_date": (start + timedelta(days=last)).isoformat(),
                "by_state": by_state,
                "by_place": by_place,
            }
        )
    )
    (folder / "run.json").write_text(
        json.dumps(
            {
                "run_id": f"{name}-{seed}",
                "scenario": name,
                "scenario_digest": "0" * 64,
                "corridor_version": "0.1.0",
                "engine": "test-fixture",
                "model": "corridor",
                "seed": seed,
                "start_date": start.isoformat(),
                "days": days,
                "parameters": {"walk_speed_km": 35.0},
                "rules": ["mx-transit-denial", "us-mpp", "us-metering"] if detain else ["us-mpp"],
                "wall_time_s": 0.1,
                "created": "2020-01-01T00:00:00Z",
                "complete": True,
            }
        )
    )
    sc = folder / "scenario"
    sc.mkdir(exist_ok=True)
    (sc / "scenario.toml").write_text(
        f'name = "{name}"\ndescription = "A toy caravan for tests"\n'
        f'start_date = "{start.isoformat()}"\ndays = {days}\nseed = {seed}\nmodel = "corridor"\n'
    )
    (sc / "places.csv").write_text(
        "id,name,country,kind,lat,lon\n"
        + "".join(f"{a},{b},{c},{d},{e},{f}\n" for a, b, c, d, e, f in PLACES),
        encoding="utf-8",
    )
    (sc / "routes.csv").write_text(
        "from,to,distance_km\n"
        + "".join(f"{a},{b},100\n" for a, b in zip(PATH, PATH[1:], strict=False))
        + "tijuana,san-ysidro,5\nsan-ysidro,us-interior,25\n"
    )
    (sc / "observations.csv").write_text(
        "period_start,period_end,place,kind,value,low,high,source,note\n"
        "2020-01-18,2020-01-18,Tecun Uman,present,120,100,150,R15,toy\n"
        "2020-01-20,2020-01-22,Chiapas,detained,60,50,80,R14,toy region count\n"
        "2020-01-15,2020-01-17,Honduras-Guatemala border,entered_guatemala,250,200,300,R3,toy\n"
    )
    (sc / "rules.toml").write_text(REAL_RULES)
    return folder


# --------------------------------------------------------------------------------------------
# Fakes of the rules loader and the score module (their real modules are written elsewhere).
# --------------------------------------------------------------------------------------------


@dataclass
class FakeRule:
    id: str
    kind: str
    start: str | None
    end: str | None
    where: str
    enabled: bool = True
    title: str = ""


@dataclass
class FakeScore:
    period_start: date
    period_end: date
    place: str
    kind: str
    value: float
    low: float
    high: float
    simulated: float | None
    within_range: bool | None
    relative_error: float | None


def fake_rules(path: Path) -> list[FakeRule]:
    assert path.name == "rules.toml"
    return [
        FakeRule(
            "mx-transit-denial",
            "transit_denial",
            "2019-06-07",
            None,
            "MX",
            title="Mexico: no transit north",
        ),
        FakeRule("us-mpp", "remain_in_mexico", "2019-01-29", None, "tijuana"),
        FakeRule("us-metering", "metering", None, None, "san-ysidro"),
        FakeRule("us-aca-guatemala", "safe_third_country", "2019-11-21", "2020-03-16", "GT"),
        FakeRule("hn-aca", "safe_third_country", "2020-02-01", None, "HN", enabled=False),
    ]


def fake_compare(run_dir: Path) -> list[FakeScore]:
    rows = []
    for i, line in enumerate(
        (run_dir / "scenario" / "observations.csv").read_text().splitlines()[1:]
    ):
        a, b, place, kind, value, low, high, *_ = line.split(",")
        sim = [110.0, 95.0, None][i % 3]
        rows.append(
            FakeScore(
                date.fromisoformat(a),
                date.fromisoformat(b),
                place,
                kind,
                float(value),
                float(low),
                float(high),
                sim,
                None if sim is None else float(low) <= sim <= float(high),
                None if sim is None else (sim - float(value)) / float(value),
            )
        )
    return rows


@contextmanager
def faked() -> Iterator[None]:
    """Fake `corridor.analysis.score.compare` for a while (to control the scores drawn)."""
    score = types.ModuleType("corridor.analysis.score")
    score.compare = fake_compare  # type: ignore[attr-defined]
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(sys.modules, "corridor.analysis.score", score)
        yield


@pytest.fixture(scope="module")
def run_a(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_run(tmp_path_factory.mktemp("runs") / "baseline", seed=1)


@pytest.fixture(scope="module")
def run_b(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_run(tmp_path_factory.mktemp("runs") / "no-denial", seed=2, detain=0.0)


@pytest.fixture(scope="module")
def report_a(run_a: Path) -> Path:
    """The report of run A, with fake rules and scores (written once for the module)."""
    from corridor.report import write_report

    with faked():
        return write_report(run_a)


@pytest.fixture(scope="module")
def report_ab(run_a: Path, run_b: Path) -> Path:
    """The report comparing run B with run A, with fake rules and scores."""
    from corridor.report import write_report

    with faked():
        return write_report(run_a, compare=run_b)


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------

SECTIONS = ("final-states", "map", "daily", "outcomes", "observations", "rules", "about")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def assert_offline(text: str) -> None:
    """No element loads anything from outside the file.

    The plotly.js library (the one script in <head>) is checked apart: it holds URLs as strings
    for features these charts do not use (map tiles, the "edit in Chart Studio" link).
    """
    head, body = text.split("</head>", 1)
    library = re.findall(r"<script[^>]*>(.*?)</script>", head, flags=re.S)
    assert len(library) == 1 and len(library[0]) > 1_000_000, "plotly.js embedded once, inline"
    assert text.count(library[0][:200]) == 1, "plotly.js embedded more than once"
    rest = head.replace(library[0], "") + body
    assert not re.search(r"<script[^>]*\bsrc\s*=", rest, re.I), "external script"
    assert not re.search(r"<link\b", rest, re.I), "link element (stylesheet, font, icon)"
    assert not re.search(r"<(iframe|object|embed|img)\b", rest, re.I)
    assert not re.search(r"@import|@font-face|url\(\s*['\"]?(?!#)", rest, re.I), (
        "CSS import, font, or url() other than a fragment of this page"
    )
    assert not re.search(r"https?://|\b(src|href)\s*=\s*['\"]?\s*//", rest, re.I), (
        "a URL outside the plotly.js library"
    )


def assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC, f"{path} is not a PNG"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width > 400 and height > 150, f"{path} is {width}x{height}"


# --------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------


def test_report_is_one_offline_file_with_every_section(run_a: Path, report_a: Path) -> None:
    """The report is one HTML file in the run folder, with every section and nothing external."""
    assert report_a == run_a / "report.html"
    text = report_a.read_text(encoding="utf-8")
    for anchor in SECTIONS:
        assert f'id="{anchor}"' in text and f'href="#{anchor}"' in text
    assert text.count("Plotly.newPlot") >= 4  # map, daily, observations, rules
    assert "<svg" in text  # the outcomes diagram, inline
    assert_offline(text)
    assert not list(run_a.glob(".report-*")), "temporary file left behind"


def test_summary_answers_where_people_ended_up(report_a: Path) -> None:
    """The plain-language summary gives departures and the split at the U.S. border in numbers."""
    text = report_a.read_text(encoding="utf-8")
    summary = text[text.index('<p class="summary">') : text.index("</header>")]
    assert "Departures: 300 people departed" in summary  # no origin column in this fixture
    border = re.search(
        r"Of the (\d+) who reached the U.S. border, (\d+) \(\d+%\) went to a port "
        r"of entry, where asylum is asked, (\d+) \(\d+%\) crossed between ports",
        summary,
    )
    assert border and int(border[1]) >= int(border[2]) + int(border[3])


def test_pngs_are_written_and_valid(run_a: Path, report_a: Path) -> None:
    for name in ("map", "daily", "outcomes", "observations", "rules"):
        assert_png(run_a / "figures" / f"{name}.png")


def test_observations_and_rules_tables_come_from_their_modules(report_a: Path) -> None:
    text = report_a.read_text(encoding="utf-8")
    assert "1 of 2 measured observations inside their reported range" in text
    assert "Honduras-Guatemala border" in text and "not measured" in text
    # rules read by corridor.rules.load_rules: where each acts, in place and country names
    rules = text[text.index('id="rules"') : text.index('id="about"')]
    assert "<td>on the Guatemala → Mexico border</td>" in rules
    assert "<td>at San Ysidro port</td>" in rules
    assert re.search(r"<td>hn-aca</td>.*?<td class=\"no\">no</td></tr>", rules)  # never applied
    assert re.search(r"<td>us-mpp</td>.*?<td class=\"yes\">yes</td></tr>", rules)


def test_missing_modules_leave_a_note_not_a_crash(
    run_a: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Without the rules loader and the score module the report still comes out, and says why.

    Also: a report written elsewhere puts its figures beside it, named after it.
    """
    monkeypatch.setitem(sys.modules, "corridor.rules", types.ModuleType("corridor.rules"))
    monkeypatch.setitem(
        sys.modules, "corridor.analysis.score", types.ModuleType("corridor.analysis.score")
    )
    from corridor.report import write_report

    out = write_report(run_a, out=tmp_path / "sub" / "caravan.html")
    text = out.read_text(encoding="utf-8")
    assert "corridor.rules.load_rules is not available" in text
    assert "corridor.analysis.score.compare is not available" in text
    assert_png(tmp_path / "sub" / "figures" / "caravan-map.png")
    assert not (tmp_path / "sub" / "figures" / "caravan-rules.png").exists()


def test_compare_mode_draws_both_runs(run_a: Path, report_ab: Path) -> None:
    assert report_ab == run_a / "report-vs-no-denial.html"
    text = report_ab.read_text(encoding="utf-8")
    assert_offline(text)
    assert "baseline vs no-denial" in text
    assert "Run no-denial is compared with run baseline" in text
    assert "mx-transit-denial" in text and "only in baseline" in text
    assert "no-denial − baseline" in text  # the difference column of final states
    # nobody is returned by plane without the transit denial: the difference shows in the table
    row = re.search(r"<td>returned_air</td>(.*?)</tr>", text).group(1)
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", row)
    assert cells[-3:] == ["0", "0%", f"-{cells[1]}"]
    for name in ("map", "daily", "outcomes", "observations", "rules"):
        assert_png(run_a / "figures" / f"report-vs-no-denial-{name}.png")


@pytest.mark.parametrize(
    "missing", ["daily.parquet", "outcomes.parquet", "run.json", "scenario/places.csv"]
)
def test_missing_file_is_a_clear_error(run_a: Path, tmp_path: Path, missing: str) -> None:
    from corridor.report import write_report
    from corridor.report.data import RunFolderError

    broken = tmp_path / "broken"
    shutil.copytree(run_a, broken)
    (broken / missing).unlink()
    (broken / "report.html").unlink(missing_ok=True)
    with pytest.raises(RunFolderError) as info:
        write_report(broken)
    assert isinstance(info.value, ScenarioError)
    assert missing in str(info.value) and "corridor run" in str(info.value)
    assert not (broken / "report.html").exists()


def test_wrong_columns_are_a_clear_error(run_a: Path, tmp_path: Path) -> None:
    from corridor.report import write_report

    broken = tmp_path / "broken"
    shutil.copytree(run_a, broken)
    table = pq.read_table(broken / "flows.parquet").drop_columns(["to_place"])
    pq.write_table(table, broken / "flows.parquet")
    with pytest.raises(ScenarioError, match=r"flows.parquet.*to_place"):
        write_report(broken)


def test_timeline_accepts_plain_rule_records(run_a: Path) -> None:
    """Rules given as plain records (string dates, `where` as text) are drawn as well."""
    from corridor.report import timeline
    from corridor.report.data import load_run

    run = load_run(run_a)
    run.rules = fake_rules(run_a / "scenario" / "rules.toml")
    bars = {b.id: b for b in timeline.prepare([run])}
    assert bars["us-mpp"].in_force == (True,) and bars["us-mpp"].where == "at Tijuana"
    assert bars["us-aca-guatemala"].in_force == (False,)  # not in run.json's rules
    assert bars["mx-transit-denial"].title == "Mexico: no transit north"
    assert bars["us-metering"].start is None and bars["us-aca-guatemala"].end == date(2020, 3, 16)


def test_sankey_stages_follow_the_outcome_rows(run_a: Path) -> None:
    """Every person goes through the diagram once; the border split adds up."""
    from corridor.report.data import load_run
    from corridor.report.stages import BETWEEN, PORT, build

    run = load_run(run_a)
    data = build(run)
    first = [n for n in data.totals if n.column == 0]
    assert len(first) == 1 and data.totals[first[0]] == run.departed == data.departed
    for node, total in data.totals.items():  # what flows in flows out, or ends here
        inflow = sum(v for (_, b), v in data.links.items() if b == node)
        outflow = sum(v for (a, _), v in data.links.items() if a == node)
        assert node.column == 0 or inflow == total
        assert outflow <= total
    by_state = {k: v for k, v in run.summary["by_state"].items()}
    port = sum(v for (a, _), v in data.border.items() if a == PORT)
    between = sum(v for (a, _), v in data.border.items() if a == BETWEEN)
    assert between == by_state.get("apprehended_us", 0) + by_state.get("entered_us_irregular", 0)
    assert port == sum(
        by_state.get(s, 0)
        for s in ("waiting_metering", "waiting_mpp", "us_proceedings", "transferred_aca")
    )


def test_flee_style_outcomes_end_at_camps(run_a: Path, tmp_path: Path) -> None:
    """A run whose states are all in_transit gets origin → countries → camps."""
    from corridor.report.data import load_run
    from corridor.report.stages import build

    run = load_run(run_a)
    run.places["tapachula"] = dataclasses_replace(run.places["tapachula"], kind="camp")
    run.outcomes = pa.table(
        {
            "state": ["in_transit"] * 3,
            "place": ["tapachula", "tecun-uman", "sps"],
            "countries": ["HN,GT,MX", "HN,GT", "HN"],
            "kinds": ["origin,town,camp", "origin,town", "origin"],
            "count": pa.array([50, 30, 20], pa.int64()),
        }
    )
    labels = {n.label: t for n, t in build(run).totals.items()}
    assert labels["Tapachula"] == 50
    assert labels["Still on the move in Guatemala"] == 30
    assert labels["Still on the move in Honduras"] == 20
    assert labels["Entered Mexico"] == 50


def test_country_outlines_ship_with_the_package() -> None:
    from corridor.report import geo

    codes = {c.iso_a2 for c in geo.countries()}
    assert {"HN", "GT", "MX", "US", "ML", "BI", "BF", "NE", "TZ", "RW"} <= codes
    assert geo.country_name("GT") == "Guatemala"


def dataclasses_replace(obj, **changes):  # noqa: ANN001, ANN201
    import dataclasses

    return dataclasses.replace(obj, **changes)


def test_a_refused_scenario_is_a_short_note_with_folded_problems(
    run_a: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the score module refuses the observations, the report says so in one sentence."""
    from corridor.errors import Problem
    from corridor.report.data import load_run
    from corridor.report.html import Section

    def refuse(run_dir: Path) -> list:
        raise ScenarioError([Problem("observations.csv", 3, "kind", "not a measure")] * 2)

    score = types.ModuleType("corridor.analysis.score")
    score.compare = refuse  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "corridor.analysis.score", score)
    run = load_run(run_a)
    assert run.scores is None
    assert run.scores_note.text.startswith("The observations could not be scored: 2 problems")
    section = Section("x", "x")
    section.note(run.scores_note)
    html = "".join(section.parts)
    assert "<details><summary>The 2 problems</summary>" in html
    assert "observations.csv, row 3, field &#x27;kind&#x27;: not a measure" in html


def test_long_observation_lists_are_summarised_by_series() -> None:
    from corridor.report.observations import ScoreRow, series_cells, table_cells

    rows = [
        ScoreRow(
            date(2012, 3, d),
            date(2012, 3, d),
            camp,
            "present",
            100.0,
            90.0,
            110.0,
            "U",
            (float(95 + 10 * (d % 3)),),
            ((95 + 10 * (d % 3)) <= 110,),
            (0.05,),
            (1.0,),
            (1.0,),
        )
        for camp in ("mbera", "abala")
        for d in range(1, 26)
    ]
    head, body = series_cells(rows, ["run"])
    assert [b[:3] for b in body] == [["mbera", "present", "25"], ["abala", "present", "25"]]
    assert body[0][-2] == "17 (68%)" and body[0][-1] == "5%"
    head, body = table_cells(rows, ["run"])
    assert len(body) == 50 and body[0][-3:] == ["yes", "inside", "+5%"]


def test_a_run_where_nobody_left_still_gets_a_report(tmp_path: Path) -> None:
    from corridor.report import write_report

    run = write_run(tmp_path / "empty", n=0, days=3)
    text = write_report(run).read_text(encoding="utf-8")
    assert "0 people departed" in text
    assert_offline(text)
