"""The Dash app: layout, callbacks (thin wrappers around `corridor.web.actions`), server.

Dash serves its own JavaScript and CSS from the Python packages (`serve_locally=True`): the
page fetches nothing from outside 127.0.0.1; the map draws the country outlines the report
ships, on plain axes (no tiles). Debug mode is off: no traceback reaches the browser.
"""

from __future__ import annotations

import sys
import uuid
from typing import Any

from dash import ALL, Dash, Input, Output, State, ctx, dash_table, dcc, html, no_update
from dash.exceptions import PreventUpdate

from corridor.errors import CorridorError
from corridor.web import actions, figures
from corridor.web.actions import ActionError
from corridor.web.runs import Workspace
from corridor.web.uploads import MAX_UPLOAD_BYTES, load_upload
from corridor.web.whatif import WhatIf

DEFAULT_ROUTE = "San Pedro Sula>Tecún Umán>Ciudad Juárez"
CSS = {"font-family": 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif',
       "margin": "0 auto", "max-width": "1400px", "padding": "0 16px", "color": "#222"}
BOX = {"border": "1px solid #ddd", "border-radius": "6px", "padding": "10px", "margin": "8px 0"}


def _error_block(err: ActionError) -> list[Any]:
    out: list[Any] = [html.Div(err.message, className="error", style={"color": "#b03a2e"})]
    if err.problems:
        out.append(dash_table.DataTable(
            data=err.problems, columns=[{"name": c, "id": c} for c in
                                        ("file", "row", "field", "problem")],
            style_cell={"textAlign": "left", "whiteSpace": "normal"}, id="problems-table"))
    return out


def _number_input(spec: Any, value: Any) -> html.Div:
    return html.Div([
        html.Label(f"{spec.label} ", htmlFor=spec.name),
        dcc.Input(id={"type": "num", "field": spec.name}, type="number", value=value,
                  min=None if spec.low is None else spec.low,
                  max=None if spec.high is None else spec.high,
                  step=1 if spec.integer else "any", debounce=True, style={"width": "7em"}),
        html.Span(f"  {spec.describe()}", style={"color": "#777", "font-size": "0.85em"}),
    ], style={"margin": "2px 0"})


def layout(ws: Workspace, default: str) -> html.Div:
    """The page."""
    return html.Div(style=CSS, children=[
        dcc.Location(id="url", refresh=False),
        dcc.Store(id="client", data=None),
        dcc.Store(id="from-url"),
        dcc.Store(id="whatif"),
        dcc.Store(id="runs"),
        dcc.Interval(id="poll", interval=500, disabled=True),
        html.H1("Corridor — what if?", style={"margin": "12px 0 4px"}),
        html.Div(id="url-error"),
        html.Div(style=BOX, children=[
            html.B("Scenario "),
            dcc.Dropdown(id="scenario", options=[{"label": label, "value": key}
                                                 for key, label in ws.choices()],
                         value=default, clearable=False, style={"width": "420px",
                                                                "display": "inline-block",
                                                                "vertical-align": "middle"}),
            dcc.Upload(id="upload", children=html.Button("upload a zipped scenario folder"),
                       max_size=MAX_UPLOAD_BYTES, multiple=False,
                       style={"display": "inline-block", "margin-left": "12px"}),
            html.Span(" seed "), dcc.Input(id="seed", type="number", min=0, step=1,
                                          placeholder="scenario's", style={"width": "9em"}),
            html.Button("Run what-if", id="run", n_clicks=0,
                        style={"margin-left": "12px", "font-weight": "bold"}),
            html.Span(" ensemble of "), dcc.Input(id="members", type="number", min=1,
                                                  max=ws.max_members, step=1, value=20,
                                                  style={"width": "4em"}),
            html.Button("Run ensemble", id="run-ensemble", n_clicks=0),
            html.Progress(id="progress", max=100, value=0, style={"margin-left": "8px"}),
            html.Div(id="upload-message"),
            html.Div(id="status", style={"margin-top": "6px", "color": "#555"}),
        ]),
        html.Div(style={"display": "flex", "gap": "12px"}, children=[
            html.Div(style={**BOX, "flex": "3", "max-height": "420px", "overflow-y": "auto"},
                     children=[html.B("Policies: switch a rule on or off"),
                               dcc.Checklist(id="rules-on", options=[], value=[],
                                             labelStyle={"display": "block"})]),
            html.Div(style={**BOX, "flex": "2", "max-height": "420px", "overflow-y": "auto"},
                     children=[html.B("Edit a rule: dates and numbers"),
                               dcc.Dropdown(id="rule-pick", options=[], placeholder="pick a rule"),
                               html.Div(id="rule-form"),
                               html.Hr(), html.B("Scenario parameters"),
                               html.Div(id="param-form"),
                               html.Div(id="edit-error", style={"color": "#b03a2e"})]),
        ]),
        html.Div(style=BOX, children=[
            html.B("Results "), html.Span("(baseline: the scenario as it is; what-if: your "
                                         "changes; same seed)"),
            html.Div(id="border", style={"font-size": "1.2em", "margin": "6px 0"}),
            dash_table.DataTable(id="headline", columns=[
                {"name": c, "id": c} for c in ("what", "baseline", "what-if", "difference")],
                data=[], style_table={"maxHeight": "190px", "overflowY": "auto"},
                style_cell={"textAlign": "right", "padding": "1px 6px"}, style_cell_conditional=[
                {"if": {"column_id": "what"}, "textAlign": "left"}]),
            html.Div([
                html.Button("run: Parquet", id="dl-parquet"), html.Button("run: CSV", id="dl-csv"),
                html.Button("HTML report", id="dl-report"),
                html.Button("changed scenario folder", id="dl-scenario"),
                dcc.Download(id="download"),
            ], style={"margin-top": "8px"}),
        ]),
        dcc.Tabs(id="tabs", value="map", children=[
            dcc.Tab(label="Map", value="map", children=[
                dcc.Graph(id="map", config={"displaylogo": False}),
                dcc.Graph(id="diff-map", config={"displaylogo": False})]),
            dcc.Tab(label="Day by day", value="daily", children=[dcc.Graph(id="daily")]),
            dcc.Tab(label="Outcomes", value="outcomes", children=[dcc.Graph(id="sankey")]),
            dcc.Tab(label="Against observations", value="score", children=[
                html.Div(id="score-text"), dcc.Graph(id="score")]),
            dcc.Tab(label="Rules timeline", value="rules", children=[dcc.Graph(id="timeline")]),
            dcc.Tab(label="Ensemble", value="ensemble", children=[dcc.Graph(id="bands")]),
            dcc.Tab(label="Explain one person", value="explain", children=[html.Div(style=BOX,
                children=[
                    html.Span("route "), dcc.Input(id="explain-route", value=DEFAULT_ROUTE,
                                                   style={"width": "32em"}),
                    html.Span(" leaving on "), dcc.Input(id="explain-date", value="2020-01-15",
                                                         style={"width": "8em"}),
                    html.Span(" nationality "), dcc.Input(id="explain-nat", value="HN",
                                                          style={"width": "3em"}),
                    html.Button("Explain", id="explain"),
                    html.Div(id="explain-text"),
                    dash_table.DataTable(id="explain-table", data=[], style_cell={
                        "textAlign": "left", "whiteSpace": "normal"})])]),
        ]),
    ])


def _empty_figure() -> dict[str, Any]:
    return {"data": [], "layout": {"height": 60, "xaxis": {"visible": False},
                                   "yaxis": {"visible": False}}}


def register(app: Dash, ws: Workspace, default: str) -> None:  # noqa: C901 - one place
    """Attach every callback."""

    @app.callback(Output("client", "data"), Input("url", "pathname"), State("client", "data"))
    def client_id(_path: str, current: str | None) -> str:
        if current:
            raise PreventUpdate
        return uuid.uuid4().hex

    @app.callback(Output("from-url", "data"), Output("scenario", "value"), Output("seed", "value"),
                  Output("url-error", "children"), Input("url", "pathname"),
                  State("url", "search"))
    def load_url(_path: str, search: str | None) -> tuple[Any, ...]:
        try:
            whatif = actions.from_url(ws, search, default)
        except ActionError as err:
            whatif = WhatIf(default)
            return whatif.to_dict(), default, None, _error_block(err)
        return whatif.to_dict(), whatif.scenario, whatif.seed, None

    @app.callback(Output("rules-on", "options"), Output("rules-on", "value"),
                  Output("rule-pick", "options"), Output("param-form", "children"),
                  Input("scenario", "value"), State("from-url", "data"))
    def scenario_controls(key: str, initial: dict | None) -> tuple[Any, ...]:
        options, enabled = actions.rule_options(ws, key)
        start = WhatIf.from_dict(initial, default)
        settings = start.settings if start.scenario == key else {}
        for rule_id in [o["value"] for o in options]:
            flag = settings.get(f"rules.{rule_id}.enabled")
            if flag is True and rule_id not in enabled:
                enabled.append(rule_id)
            elif flag is False and rule_id in enabled:
                enabled.remove(rule_id)
        scenario = ws.scenario(key)
        params = [_number_input(s, settings.get(s.name, s.value))
                  for s in actions.parameter_fields(scenario.parameters)]
        picks = [{"label": o["value"], "value": o["value"]} for o in options]
        return options, enabled, picks, params

    @app.callback(Output("rule-form", "children"), Input("rule-pick", "value"),
                  State("scenario", "value"), State("whatif", "data"), State("from-url", "data"))
    def rule_form(rule_id: str | None, key: str, current: dict | None,
                  initial: dict | None) -> list[Any]:
        if not rule_id:
            return []
        scenario = ws.scenario(key)
        rule = next((r for r in scenario.rules if r.id == rule_id), None)
        if rule is None:
            return []
        settings = WhatIf.from_dict(current or initial, default).settings
        rows: list[Any] = [html.Div(rule.title, style={"font-style": "italic"})]
        for which in ("start", "end"):
            name = f"rules.{rule.id}.{which}"
            value = settings.get(name, getattr(rule, which))
            rows.append(html.Div([html.Label(f"{which} "), dcc.Input(
                id={"type": "date", "field": name}, value=str(value) if value else "",
                placeholder="YYYY-MM-DD (empty: open)", debounce=True, style={"width": "10em"})]))
        rows += [_number_input(s, settings.get(s.name, s.value)) for s in
                 actions.rule_fields(rule)]
        return rows

    @app.callback(Output("whatif", "data"), Output("edit-error", "children"),
                  Input("scenario", "value"), Input("seed", "value"), Input("rules-on", "value"),
                  Input({"type": "num", "field": ALL}, "value"),
                  Input({"type": "date", "field": ALL}, "value"),
                  State({"type": "num", "field": ALL}, "id"),
                  State({"type": "date", "field": ALL}, "id"),
                  State("whatif", "data"), State("from-url", "data"))
    def edit(key: str, seed: Any, enabled: list[str], nums: list[Any], dates: list[Any],
             num_ids: list[dict], date_ids: list[dict], current: dict | None,
             initial: dict | None) -> tuple[Any, Any]:
        previous = WhatIf.from_dict(current or initial, default)
        try:
            whatif = actions.edit(ws, key, seed, enabled,
                                  {i["field"]: v for i, v in zip(num_ids, nums, strict=True)},
                                  {i["field"]: v for i, v in zip(date_ids, dates, strict=True)},
                                  previous)
        except ActionError as err:
            return no_update, err.message
        from corridor.web.whatif import check

        problems = check(ws.scenario(key), whatif)
        return whatif.to_dict(), "; ".join(f"{p.field}: {p.message}" for p in problems)

    @app.callback(Output("url", "search"), Input("whatif", "data"), prevent_initial_call=True)
    def to_url(data: dict | None) -> str:
        return WhatIf.from_dict(data, default).to_query()

    outputs = [Output("status", "children"), Output("runs", "data"), Output("border", "children"),
               Output("headline", "data"), Output("map", "figure"), Output("diff-map", "figure"),
               Output("daily", "figure"), Output("sankey", "figure"), Output("score", "figure"),
               Output("score-text", "children"), Output("timeline", "figure")]

    @app.callback(*outputs, Input("run", "n_clicks"), Input("from-url", "data"),
                  State("whatif", "data"), State("client", "data"))
    def run(_clicks: int, initial: dict | None, current: dict | None,
            client: str | None) -> tuple[Any, ...]:
        data = initial if ctx.triggered_id == "from-url" or not current else current
        return run_view(ws, WhatIf.from_dict(data, default), client or "")

    @app.callback(Output("progress", "value"), Output("poll", "disabled"),
                  Output("bands", "figure"), Output("status", "children", allow_duplicate=True),
                  Input("run-ensemble", "n_clicks"), Input("poll", "n_intervals"),
                  State("whatif", "data"), State("members", "value"), State("client", "data"),
                  prevent_initial_call=True)
    def ensemble(_clicks: int, _ticks: int, current: dict | None, members: Any,
                 client: str | None) -> tuple[Any, ...]:
        return ensemble_view(ws, ctx.triggered_id, WhatIf.from_dict(current, default),
                             members, client or "")

    @app.callback(Output("upload-message", "children"),
                  Output("scenario", "options"), Output("scenario", "value", allow_duplicate=True),
                  Input("upload", "contents"), State("upload", "filename"),
                  prevent_initial_call=True)
    def upload(contents: str | None, filename: str | None) -> tuple[Any, ...]:
        return upload_view(ws, contents, filename or "upload")

    @app.callback(Output("download", "data"), Input("dl-parquet", "n_clicks"),
                  Input("dl-csv", "n_clicks"), Input("dl-report", "n_clicks"),
                  Input("dl-scenario", "n_clicks"), State("runs", "data"),
                  prevent_initial_call=True)
    def download(_a: Any, _b: Any, _c: Any, _d: Any, runs: dict | None) -> Any:
        return download_view(ws, str(ctx.triggered_id), runs or {})

    @app.callback(Output("explain-table", "data"), Output("explain-text", "children"),
                  Input("explain", "n_clicks"), State("runs", "data"),
                  State("explain-route", "value"), State("explain-date", "value"),
                  State("explain-nat", "value"), prevent_initial_call=True)
    def explain(_clicks: int, runs: dict | None, route: str, date: str,
                nationality: str) -> tuple[Any, Any]:
        try:
            rows, text = actions.explain_rows(ws, (runs or {}).get("what"), route, date,
                                              nationality)
        except ActionError as err:
            return [], _error_block(err)
        return rows, text


def run_view(ws: Workspace, whatif: WhatIf, client: str) -> tuple[Any, ...]:
    """Run the baseline and the what-if and draw every result (the Run button)."""
    blank = [no_update] * 9
    try:
        base, what = actions.run_pair(ws, whatif, client)
        pair = figures.load_pair(base.folder, what.folder)
    except ActionError as err:
        return (_error_block(err), no_update, *blank)
    except CorridorError as err:
        return (_error_block(actions.user_error(err)), no_update, *blank)
    score = figures.score_figure(pair)
    _, score_text = figures.score_rows(pair)
    changes = ", ".join(whatif.as_settings()) or "no change"
    status = (f"{pair.what.title or whatif.scenario}; seed {pair.what.run.get('seed')}; "
              f"what-if: {changes}; ran in {what.wall_time_s:.2f} s")
    rows = figures.headline(pair)
    border = next(r for r in rows if r["key"] == "reached-border")
    numbers = [html.B(f"{border['what']}: "), "baseline ",
               html.Span(f"{border['baseline']:,}", id="border-baseline"), " → what-if ",
               html.Span(f"{border['what-if']:,}", id="border-whatif"),
               f" ({border['difference']:+,})"]
    return (html.Span(status, id="status-done", **{"data-key": what.key}),
            {"base": base.key, "what": what.key}, numbers, rows,
            figures.map_figure(pair), figures.difference_map(pair),
            figures.daily_figure(pair), figures.sankey_figure(pair),
            score if score is not None else _empty_figure(), score_text,
            figures.rules_figure(pair))


def ensemble_view(ws: Workspace, trigger: Any, whatif: WhatIf, members: Any,
                  client: str) -> tuple[Any, ...]:
    """Start an ensemble (the button) or report its progress (the poll)."""
    if trigger == "run-ensemble":
        try:
            n = int(members)
            if n != float(members):
                raise ValueError
        except (TypeError, ValueError):
            return 0, True, no_update, f"members {members!r} is not a whole number"
        try:
            ws.start_ensemble(actions.baseline_of(whatif), whatif, n, client)
        except CorridorError as err:
            return 0, True, no_update, _error_block(actions.user_error(err))
        return 0, False, no_update, f"ensemble of {n} members started"
    job = ws.jobs.get(client)
    if job is None:
        return 0, True, no_update, no_update
    percent = round(100 * job.done / max(job.total, 1))
    if not job.finished:
        return percent, False, no_update, f"ensemble: {job.done} of {job.total} runs done"
    if job.error:
        return percent, True, no_update, job.error
    from corridor.web.bands import bands_figure

    scenario = ws.scenario(whatif.scenario)
    return 100, True, bands_figure(job.result, scenario.config.start_date), \
        f"ensemble done: {job.members} members each"


def upload_view(ws: Workspace, contents: str | None, filename: str) -> tuple[Any, ...]:
    """Validate an uploaded scenario zip and add it to the choices."""
    try:
        scenario = load_upload(contents, filename)
    except CorridorError as err:
        return _error_block(actions.user_error(err)), no_update, no_update
    key = ws.add_upload(scenario)
    options = [{"label": label, "value": k} for k, label in ws.choices()]
    return html.Div(f"{filename}: ok — {scenario.name}, {len(scenario.places)} places, "
                    f"{len(scenario.rules)} rules", id="upload-ok"), options, key


def download_view(ws: Workspace, trigger: str, runs: dict) -> Any:
    """The file of a download button, or nothing (with no run yet)."""
    from dash import dcc as _dcc

    try:
        if trigger == "dl-parquet":
            return _dcc.send_bytes(actions.run_parquet(ws, runs.get("what")), "what-if-run.zip")
        if trigger == "dl-csv":
            return _dcc.send_bytes(actions.run_csv(ws, runs.get("what")), "what-if-csv.zip")
        if trigger == "dl-report":
            return _dcc.send_bytes(actions.report_html(ws, runs.get("base"), runs.get("what")),
                                   "what-if-report.html")
        if trigger == "dl-scenario":
            return _dcc.send_bytes(actions.scenario_zip(ws, runs.get("what")),
                                   "what-if-scenario.zip")
    except ActionError:
        return no_update
    return no_update


def create_app(ws: Workspace | None = None, default: str = "caravan-2020") -> Dash:
    """Build the Dash app over a workspace (scenarios and run cache)."""
    ws = ws or Workspace()
    app = Dash(__name__, title="Corridor — what if?", serve_locally=True,
               update_title=None, suppress_callback_exceptions=True)
    app.layout = layout(ws, default)
    register(app, ws, default)

    @app.server.errorhandler(Exception)
    def _no_traceback(err: Exception) -> tuple[str, int]:
        from werkzeug.exceptions import HTTPException

        if isinstance(err, HTTPException):
            return err.description or err.name, err.code or 500
        print(f"corridor serve: internal error: {type(err).__name__}: {err}", file=sys.stderr)
        return "internal error (see the server's output)", 500

    app.workspace = ws  # type: ignore[attr-defined] - for tests and the command
    return app


def serve(scenario: str | None = None, host: str = "127.0.0.1", port: int = 8050,
          open_browser: bool = False) -> None:
    """Load the scenario, warm the kernels, and serve the dashboard until interrupted."""
    from corridor.scenario import load_scenario

    ws = Workspace()
    default = "caravan-2020"
    if scenario:
        from corridor.scenario.load import builtin_names

        if scenario in builtin_names():
            default = scenario
        else:
            ws.scenarios["cli"] = load_scenario(scenario)
            default = "cli"
    app = create_app(ws, default)
    print(f"warming up: running {default} once (compiles the kernels)...", file=sys.stderr)
    actions.run_pair(ws, WhatIf(default), "")
    url = f"http://{'127.0.0.1' if host in ('127.0.0.1', 'localhost') else host}:{port}/"
    print(f"corridor serve: {url} (Ctrl-C to stop)", file=sys.stderr)
    if open_browser:
        import threading
        import webbrowser

        threading.Timer(1.0, lambda: webbrowser.open(url)).start()
    try:
        app.run(host=host, port=port, debug=False)
    finally:
        ws.close()
