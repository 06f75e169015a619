"""Observations in the report are readable: each on a scale that fits it, ranges drawn as ranges.

A day-by-day line that reaches 100,000 flattens an observation of a few hundred onto its zero
line; the close-ups give every observed line its own window and scale. The observations' dot
plot is on a log axis whose ticks never read "0" (a log axis has none).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

pytest.importorskip("plotly")

from corridor.report import closeups, observations  # noqa: E402
from corridor.report.daily import DailyData, Panel, Series, obs_span  # noqa: E402
from corridor.report.data import Observation  # noqa: E402

START = date(2020, 1, 1)
DAYS = 120


def _data(peak: int = 100_000) -> DailyData:
    """A state line rising to `peak` late in the run, a few hundred around day 20."""
    values = np.zeros(DAYS, dtype=np.int64)
    values[10:30] = 400
    values[60:] = np.linspace(1_000, peak, DAYS - 60).astype(np.int64)
    obs = Observation(START + timedelta(days=18), START + timedelta(days=20), "Chiapas",
                      "detained", 350.0, 300.0, 600.0)
    late = Observation(START + timedelta(days=100), START + timedelta(days=100), "Chiapas",
                       "detained", 70_000.0, 60_000.0, 80_000.0)
    panel = Panel("People in each state", [Series("detained", "detained", "#e377c2", values)],
                  [(obs, "#e377c2"), (late, "#e377c2")], ["detained", "detained"])
    other = Panel("People at places", [Series("x", "X", "#000", values)])
    return DailyData([START + timedelta(days=d) for d in range(DAYS)], [other, other, panel])


def test_a_small_observation_gets_a_scale_it_can_be_read_on() -> None:
    data = _data()
    [close] = closeups.prepare([("run", data)])
    # one panel for the line, both observations in it, the window around their dates only
    assert len(close.observations) == 2
    assert close.dates[0] == START + timedelta(days=18 - closeups.PAD_DAYS)
    assert close.dates[-1] == START + timedelta(days=100 + closeups.PAD_DAYS)
    assert close.top == pytest.approx(max(close.values[0][1].max(), 80_000))


def test_each_observation_gets_its_own_panel_per_line_and_its_range_is_a_box() -> None:
    data = _data()
    data.panels[2].observations = data.panels[2].observations[:1]
    data.panels[2].observed_keys = data.panels[2].observed_keys[:1]
    [close] = closeups.prepare([("run", data)])
    obs = close.observations[0]
    # the scale of this panel is set by the window (line 400, range up to 600), not by 100,000
    assert close.top == 600
    assert obs.value / close.top > 0.5
    fig = closeups.plotly_figure([close])
    assert fig.layout.yaxis.range[1] == pytest.approx(600 * 1.12)
    box = next(t for t in fig.data if t.fill == "toself")
    assert min(box.y) == obs.low and max(box.y) == obs.high  # the range, not a point
    x0, mid, x1 = obs_span(obs)
    assert min(box.x) == x0 and max(box.x) == x1 and x0 < mid < x1
    marker = next(t for t in fig.data if t.mode == "markers")
    assert marker.error_y.arrayminus[0] == obs.value - obs.low
    assert marker.error_y.array[0] == obs.high - obs.value


def test_compare_mode_draws_both_runs_in_each_close_up() -> None:
    a, b = _data(), _data(peak=50_000)
    [close] = closeups.prepare([("A", a), ("B", b)])
    assert [label for label, _ in close.values] == ["A", "B"]
    lines = [t for t in closeups.plotly_figure([close]).data if t.mode == "lines" and t.x[0]]
    assert {t.line.dash for t in lines if t.fill != "toself"} >= {"solid", "dash"}


def test_a_one_day_observation_sits_on_the_lines_point_for_that_day() -> None:
    obs = Observation(START, START, "x", "present", 1.0, 1.0, 1.0)
    x0, mid, x1 = obs_span(obs)
    assert mid.date() == START and mid.hour == 0 and (x1 - x0) == timedelta(days=1)


def _row(value: float, low: float, high: float, sim: float | None) -> observations.ScoreRow:
    return observations.ScoreRow(START, START, "p", "present", value, low, high, "", (sim,),
                                 (None if sim is None else low <= sim <= high,), (None,))


def test_log_axis_ticks_never_read_zero_and_name_the_runs_none() -> None:
    rows = [_row(3, 2, 3, 0), _row(400, 300, 600, 250), _row(36_000, 30_000, 40_000, 34_000)]
    ticks, texts = observations.log_ticks(rows)
    assert "0" not in texts
    assert texts[0] == "none" and ticks[0] == observations.zero_at(rows)
    assert all(t > 0 for t in ticks)
    assert max(ticks) <= 2 * 36_000 < 10 * max(ticks)  # ticks reach the largest value
    fig = observations.plotly_figure(rows, ["run"])
    assert list(fig.layout.xaxis.ticktext) == texts and fig.layout.xaxis.type == "log"
    no_zero = [_row(400, 300, 600, 250)]
    assert "none" not in observations.log_ticks(no_zero)[1]


def test_the_daily_figure_switches_every_panel_to_a_log_scale() -> None:
    from corridor.report import daily

    fig = daily.plotly_figure([("run", _data())])
    fig = daily.add_scale_buttons(fig, 3)
    [menu] = fig.layout.updatemenus
    linear, log = menu.buttons
    assert log.label == "log scale" and log.method == "relayout"
    switched = log.args[0]
    axes = [name for name in fig.layout if name.startswith("yaxis")]
    assert len(axes) == 3  # one per panel, each switched
    assert all(switched[f"{a}.type"] == "log" for a in axes)
    assert all(linear.args[0][f"{a}.type"] == "linear" for a in axes)
