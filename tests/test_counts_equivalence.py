"""The count representation is statistically the same model as the individual one.

Both representations run the same scenario with many seeds; for every (day, place, state)
cell that is not nearly constant, means are compared with Welch's t-test and spreads with the
Brown–Forsythe test, with Holm's correction over all cells. The test must not reject. Its power
is shown by the same procedure detecting a 5% change of a move chance.
"""

import numpy as np
import pytest
from corridor_fixture import build, departures
from scipy import stats

from corridor.engine.simulation import Simulation
from corridor.scenario import load_scenario

ALPHA = 0.01

RULES = """
[[rule]]
id = "guard"
kind = "border_control"
where = { route = "t>rv" }
stop_chance = 0.3
on_stop = "detain"
detain_at = "st"

[[rule]]
id = "station"
kind = "detention"
place = "st"
decision_days = { min = 1, max = 4 }
release_chance = 0.3

[[rule]]
id = "flights"
kind = "assisted_return"
mode = "air"
from_places = ["st"]
to = "o"
daily_seats = 40
start = "2020-01-08"

[[rule]]
id = "port"
kind = "port_of_entry"
city = "bc"
port = "port"
us_place = "us"
claim_share = 0.6
daily_quota = 15
give_up_chance = 0.02

[[rule]]
id = "cross"
kind = "crossing_between_ports"
city = "bc"
crossing = "bp"
us_place = "us"
home = "o"
apprehension_chance = 0.7
"""


def cells(scenario, engine, seeds, days):
    """Counts per (day, position, state) for each seed, as a (seeds × cells) matrix."""
    rows = []
    keys: dict[tuple, int] = {}
    for seed in seeds:
        daily = Simulation(scenario, seed=seed, engine=engine).run().daily
        d = daily["day"].to_numpy()
        keep = np.isin(d, days)
        vec = {}
        for day, place, state, count in zip(d[keep], np.asarray(daily["place"])[keep],
                                            np.asarray(daily["state"])[keep],
                                            daily["count"].to_numpy()[keep], strict=True):
            vec[(int(day), place, state)] = count
            keys.setdefault((int(day), place, state), len(keys))
        rows.append(vec)
    out = np.zeros((len(seeds), len(keys)))
    for i, vec in enumerate(rows):
        for k, v in vec.items():
            out[i, keys[k]] = v
    return out, list(keys)


def rejections(a: np.ndarray, b: np.ndarray) -> list[int]:
    """Cells where the two samples differ in mean or spread (Holm-corrected at ALPHA)."""
    pvals = []
    for j in range(a.shape[1]):
        x, y = a[:, j], b[:, j]
        if np.ptp(np.concatenate([x, y])) < 3:  # nearly constant: nothing to test
            continue
        pvals.append((stats.ttest_ind(x, y, equal_var=False).pvalue, j))
        pvals.append((stats.levene(x, y, center="median").pvalue, j))
    pvals.sort()
    m = len(pvals)
    bad = []
    for rank, (p, j) in enumerate(pvals):
        if p <= ALPHA / (m - rank):
            bad.append(j)
        else:
            break
    return bad


def paired(scenario_a, scenario_b, seeds, days):
    a, keys_a = cells(scenario_a, "agents", seeds, days)
    b, keys_b = cells(scenario_b, "counts", [s + 10_000 for s in seeds], days)
    keys = sorted(set(keys_a) | set(keys_b))
    ia = {k: i for i, k in enumerate(keys_a)}
    ib = {k: i for i, k in enumerate(keys_b)}
    A = np.stack([a[:, ia[k]] if k in ia else np.zeros(len(seeds)) for k in keys], axis=1)
    B = np.stack([b[:, ib[k]] if k in ib else np.zeros(len(seeds)) for k in keys], axis=1)
    return A, B


def fixture(move_chance_town=0.6):
    return build(RULES, days=40, deps=departures(600),
                 settings=[f"move_chance.town={move_chance_town}"])


SEEDS = list(range(60))
DAYS = [3, 6, 10, 15, 25, 39]


def test_counts_match_agents_on_the_fixture_corridor():
    a, b = paired(fixture(), fixture(), SEEDS, DAYS)
    assert a.shape[1] > 30
    assert rejections(a, b) == []


GROUP = ["pace_cohesion=0.5", "overnight_at_places=true", "attrition_chance=0.02",
         "attrition_home_share=0.5", "ride_chance=0.3"]
# a caravan that holds together and thins as members leave it for good, riding by legal status
# (free movement in HN and GT, seats in MX)
CARAVAN = ["pace_cohesion=1.0", "breakaway_chance=0.15", "overnight_at_places=true",
           "ride_chance=0.6", "ride_seats=80", "legal_ride_chance=0.9",
           'free_movement_countries=["HN","GT"]']


@pytest.mark.parametrize("settings", [GROUP, CARAVAN], ids=["group", "breakaways"])
def test_counts_match_agents_with_the_group_behaviour(settings):
    """Nights at places, travelling with the group, going home, leaving the group for good and
    rides by legal status: the same model in both."""
    def group_fixture():
        return build(RULES, days=40, deps=departures(600),
                     settings=["move_chance.town=0.6", *settings])
    a, b = paired(group_fixture(), group_fixture(), SEEDS, DAYS)
    assert a.shape[1] > 30
    assert rejections(a, b) == []


def test_the_comparison_detects_a_five_percent_change_of_a_move_chance():
    a, b = paired(fixture(0.6), fixture(0.63), SEEDS, DAYS)
    assert len(rejections(a, b)) > 0


@pytest.mark.slow
def test_counts_match_agents_on_caravan_2020():
    sc = load_scenario("caravan-2020", ["days=45", "drop_late_departures=true"])
    a, b = paired(sc, sc, list(range(30)), [5, 10, 20, 30, 44])
    assert rejections(a, b) == []


def test_route_split_follows_the_weights_for_large_and_small_rows(tmp_path):
    """Rows at a fork split over the links in proportion to their weights, whether a row holds
    thousands of people or two (small rows often send everyone the same way)."""
    from tiny_fixture import write_scenario

    from corridor.scenario import load_scenario as load

    small = "date,origin,count,nationality,tag\n" + "".join(
        f"2020-01-01,a,2,HN,t{i}\n" for i in range(3000))
    large = "date,origin,count,nationality\n2020-01-01,a,6000,HN\n"
    for deps in (small, large):
        folder = write_scenario(tmp_path / str(len(deps)), departures_csv=deps)
        sc = load(folder, ["walk_speed_km=1000", "ride_chance=0", "days=2"])
        shares = {}
        for engine in ("agents", "counts"):
            flows = Simulation(sc, seed=1, engine=engine).run().flows.to_pylist()
            to = {f["to_place"]: f["count"] for f in flows if f["from_place"] == "c"}
            shares[engine] = to["d"] / (to["d"] + to["e"])
        assert 0.05 < shares["agents"] < 0.95
        assert abs(shares["agents"] - shares["counts"]) < 0.03, shares

