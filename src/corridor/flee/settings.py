"""Reader for Flee's `simsetting.yml`: the settings Flee 3.1 knows, typed and checked.

Keys are Flee's YAML names. Defaults are Flee 3.1's. `log_levels` only control Flee's logging
and are ignored. Keys that later Flee versions added, and that Flee 3.1 ignores, are accepted
and returned as ignored keys; any other unknown key is reported as a problem (it is
most likely a typo that Flee would silently ignore).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from corridor.errors import Problem
from corridor.flee.csvrows import read_text

SQRT_TEN = math.sqrt(10.0)


class FleeSettings(BaseModel):
    """Flee's settings, with Flee 3.1's defaults (names as in `simsetting.yml`).

    They are also the `[parameters]` of the `flee` movement model. The spawn rules come from
    `spawn_rules`, the move rules from `move_rules`, `hasten` from `optimisations`; `compat`
    is Corridor's own (see `docs/flee-compatibility.md`, section 7).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    # spawn_rules
    take_from_population: bool = False
    insert_day0: bool = True
    conflict_zone_spawning_only: bool = True
    camps_are_sinks: bool = False
    camps_are_sicks: bool = Field(False, description="the misspelt key Flee 3.1 reads")
    conflict_spawn_decay: list[Annotated[float, Field(ge=0)]] = Field(default_factory=list)
    conflict_driven_spawning: bool = False
    spawn_mode: Literal["constant", "pop_ratio", "poisson"] = "constant"
    displaced_per_conflict_day: float = Field(500.0, ge=0)
    # move_rules
    max_move_speed: float = Field(360.0, ge=0)
    max_walk_speed: float = Field(35.0, ge=0)
    max_crossing_speed: float = Field(20.0, ge=0)
    foreign_weight: float = Field(1.0, ge=0)
    camp_weight: float = Field(1.0, ge=0)
    conflict_weight: float = Field(1.0 / SQRT_TEN, ge=0)
    conflict_movechance: float = Field(1.0, ge=0, le=1)
    camp_movechance: float = Field(0.001, ge=0, le=1)
    idpcamp_movechance: float = Field(0.1, ge=0, le=1)
    default_movechance: float = Field(0.3, ge=0, le=1)
    awareness_level: int = Field(1, ge=-1, le=4)
    capacity_buffer: float = Field(0.9, ge=0, le=1)
    capacity_scaling: float = Field(1.0, ge=0)
    avoid_short_stints: bool = False
    start_on_foot: bool = False
    use_v1_rules: bool = False
    softening: float = Field(10.0, ge=0)
    weight_softening: float = Field(0.0, ge=0)
    weight_power: float = 1.0
    distance_power: float = 1.0
    stay_close_to_home: bool = False
    home_distance_power: float = 0.5
    use_pop_for_loc_weight: bool = False
    pop_power_for_loc_weight: float = 0.1
    movechance_pop_base: float = Field(10000.0, gt=0)
    movechance_pop_scale_factor: float = 0.0
    deactivation_probability: dict[str, Annotated[float, Field(ge=0, le=1)]] = Field(
        default_factory=dict, description="place id -> daily chance (camps as sinks)")
    # optimisations
    hasten: int = Field(1, ge=1)
    # Corridor
    compat: Literal["documented", "flee-3.1"] = "documented"

    def effective(self) -> FleeSettings:
        """Return the settings with `use_v1_rules` applied (it overrides five move rules)."""
        if not self.use_v1_rules:
            return self
        return self.model_copy(update=dict(
            max_move_speed=200.0, start_on_foot=False, avoid_short_stints=False,
            camp_weight=2.0, conflict_weight=0.25, use_v1_rules=False))

    @property
    def sinks(self) -> bool:
        """Whether camps are sinks: either spelling, or only the misspelt one in flee-3.1."""
        if self.compat == "flee-3.1":
            return self.camps_are_sicks
        return self.camps_are_sinks or self.camps_are_sicks

    def as_parameters(self) -> dict[str, Any]:
        """Return the settings as a plain dict (for `scenario.toml`)."""
        return self.model_dump(mode="json")


_BOOL = {"take_from_population", "insert_day0", "conflict_zone_spawning_only", "camps_are_sinks",
         "camps_are_sicks",
         "avoid_short_stints", "start_on_foot", "use_v1_rules", "stay_close_to_home",
         "use_pop_for_loc_weight"}
_INT = {"awareness_level", "hasten"}

SPAWN_KEYS = {"take_from_population", "insert_day0", "conflict_zone_spawning_only",
              "camps_are_sinks", "camps_are_sicks", "conflict_spawn_decay",
              "conflict_driven_spawning"}
MOVE_KEYS = {"max_move_speed", "max_walk_speed", "max_crossing_speed", "foreign_weight",
             "camp_weight", "conflict_weight", "conflict_movechance", "camp_movechance",
             "idpcamp_movechance", "default_movechance", "awareness_level", "capacity_buffer",
             "capacity_scaling", "avoid_short_stints", "start_on_foot", "use_v1_rules",
             "softening", "weight_softening", "weight_power", "distance_power",
             "stay_close_to_home", "home_distance_power", "use_pop_for_loc_weight",
             "pop_power_for_loc_weight", "movechance_pop_base", "movechance_pop_scale_factor"}
OPTIMISATION_KEYS = {"hasten"}

# Keys that Flee 3.1 does not read but other Flee versions (or scenario folders) carry.
LATER_VERSION_KEYS = {
    "spawn_rules": {"sum_from_camps", "conflict_spawn_decay_interval", "empty_camps_on_day0",
                    "read_from_agents_csv_file"},
    "move_rules": set(),
    "optimisations": set(),
}
# Switches that need agent demographics (not modelled by Corridor).
DEMOGRAPHIC_SWITCHES = {"ChildrenAvoidHazards", "BoysTakeRisk", "MatchCampEthnicity",
                        "MatchTownEthnicity", "MatchConflictEthnicity"}
UNSUPPORTED_SPAWN = {"flood_zone_spawning_only", "flood_driven_spawning"}


def _coerce(key: str, value: Any, label: str, problems: list[Problem]) -> Any:
    if key in _BOOL:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        problems.append(Problem(label, None, key, f"'{value}' is not true or false"))
        return None
    if key == "conflict_spawn_decay":
        if value is None:
            return None
        if isinstance(value, list | tuple) and all(isinstance(v, int | float) for v in value):
            if any(v < 0 for v in value):
                problems.append(Problem(label, None, key, "factors must not be negative"))
                return None
            return [float(v) for v in value]
        problems.append(Problem(label, None, key, f"'{value}' is not a list of numbers "
                                "(one decay factor per 30 days since the conflict began)"))
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        problems.append(Problem(label, None, key, f"'{value}' is not a number"))
        return None
    if key in _INT:
        if number != int(number):
            problems.append(Problem(label, None, key, f"'{value}' is not a whole number"))
            return None
        return int(number)
    return number


def _check_ranges(values: dict[str, Any], label: str, problems: list[Problem]) -> None:
    for key in ("conflict_movechance", "camp_movechance", "idpcamp_movechance",
                "default_movechance"):
        if key in values and not 0.0 <= values[key] <= 1.0:
            problems.append(Problem(label, None, key, f"{values[key]} is not a chance between "
                                    "0 and 1"))
    for key in ("max_move_speed", "max_walk_speed", "max_crossing_speed", "softening",
                "capacity_scaling", "foreign_weight", "camp_weight", "conflict_weight",
                "weight_softening", "movechance_pop_base"):
        if key in values and values[key] < 0:
            problems.append(Problem(label, None, key, f"{values[key]} must not be negative"))
    if "capacity_buffer" in values and not 0.0 <= values["capacity_buffer"] <= 1.0:
        problems.append(Problem(label, None, "capacity_buffer", f"{values['capacity_buffer']} "
                                "is not a fraction between 0 and 1"))
    if "awareness_level" in values and not -1 <= values["awareness_level"] <= 4:
        problems.append(Problem(label, None, "awareness_level", f"{values['awareness_level']} "
                                "is out of range; expected -1, 0, 1, 2, 3 or 4"))
    if "hasten" in values and values["hasten"] < 1:
        problems.append(Problem(label, None, "hasten", "must be at least 1"))


def parse_settings(data: Any, problems: list[Problem], label: str = "simsetting.yml"
                   ) -> tuple[FleeSettings, tuple[str, ...]]:
    """Turn the parsed YAML of a `simsetting.yml` into `FleeSettings`.

    Returns:
        The settings, and the keys that were accepted but ignored.
    """
    if data is None:
        return FleeSettings(), ()
    if not isinstance(data, dict):
        problems.append(Problem(label, None, None, "expected a mapping with sections spawn_rules, "
                                "move_rules, optimisations"))
        return FleeSettings(), ()
    values: dict[str, Any] = {}
    ignored: list[str] = []
    sections = {"spawn_rules": SPAWN_KEYS, "move_rules": MOVE_KEYS,
                "optimisations": OPTIMISATION_KEYS}
    for top, content in data.items():
        if top == "log_levels" or top in ("number_of_steps", "conflict_input_file"):
            ignored.append(str(top))
            continue
        if top == "flood_rules":
            problems.append(Problem(label, None, "flood_rules", "flood-driven displacement (DFlee) "
                                    "is not supported by Corridor"))
            continue
        if top not in sections:
            problems.append(Problem(label, None, str(top), f"unknown section '{top}'; expected "
                                    "log_levels, spawn_rules, move_rules or optimisations"))
            continue
        if content is None:
            continue
        if not isinstance(content, dict):
            problems.append(Problem(label, None, str(top), "expected a mapping of settings"))
            continue
        for key, value in content.items():
            key = str(key)
            name = key
            where = f"{top}.{key}"
            if top == "spawn_rules" and key in UNSUPPORTED_SPAWN:
                if value not in (False, None):
                    problems.append(Problem(label, None, where, "flood-driven spawning (DFlee) is "
                                            "not supported by Corridor"))
                continue
            if top == "move_rules" and key in DEMOGRAPHIC_SWITCHES:
                if value not in (False, None):
                    problems.append(Problem(label, None, where, "needs agent demographics, "
                                            "which Corridor's Flee model does not have"))
                continue
            if key in LATER_VERSION_KEYS[top]:
                if key == "read_from_agents_csv_file" and value not in (False, None):
                    problems.append(Problem(label, None, where, "reading agents from agents.csv "
                                            "is not supported by Corridor"))
                    continue
                ignored.append(where)
                continue
            if name not in sections[top]:
                problems.append(Problem(label, None, where, f"unknown setting '{key}' in {top}; "
                                        f"expected one of {', '.join(sorted(sections[top]))}"))
                continue
            if name == "conflict_driven_spawning":
                _conflict_driven(value, label, problems, values)
                continue
            coerced = _coerce(name, value, label, problems)
            if coerced is not None:
                values[name] = coerced
    _check_ranges(values, label, problems)
    try:
        settings = FleeSettings(**values)
    except ValidationError as err:
        for e in err.errors():
            problems.append(Problem(label, None, ".".join(str(x) for x in e["loc"]), e["msg"]))
        settings = FleeSettings()
    return settings, tuple(ignored)


def _conflict_driven(value: Any, label: str, problems: list[Problem],
                     values: dict[str, Any]) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        problems.append(Problem(label, None, "spawn_rules.conflict_driven_spawning",
                                "expected a mapping with spawn_mode and "
                                "displaced_per_conflict_day"))
        return
    mode = str(value.get("spawn_mode", "constant")).strip().lower()
    if mode not in ("constant", "pop_ratio", "poisson"):
        problems.append(Problem(label, None, "spawn_rules.conflict_driven_spawning.spawn_mode",
                                f"'{mode}' is not allowed; expected constant, pop_ratio or "
                                "poisson"))
        return
    default = 0.01 if mode == "pop_ratio" else 500
    try:
        amount = float(value.get("displaced_per_conflict_day", default))
    except (TypeError, ValueError):
        problems.append(Problem(label, None,
                                "spawn_rules.conflict_driven_spawning.displaced_per_conflict_day",
                                "is not a number"))
        return
    values.update(conflict_driven_spawning=True, spawn_mode=mode,
                  displaced_per_conflict_day=amount)


def read_settings(path: Path, problems: list[Problem]
                  ) -> tuple[FleeSettings, tuple[str, ...]]:
    """Read a `simsetting.yml` file; return the settings and the keys ignored."""
    label = path.name
    text = read_text(path, label, problems)
    if text is None:
        return FleeSettings(), ()
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        problems.append(Problem(label, row, None, f"is not valid YAML: {err}"))
        return FleeSettings(), ()
    return parse_settings(data, problems, label)
