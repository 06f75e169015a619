"""Parameter files: `NAME = value` pairs in TOML, applied like `--set NAME=VALUE`.

Written by `corridor calibrate --write-params FILE`, read by `corridor run --params FILE` (and
the ensemble commands). Names are those of `--set`: a scenario setting, a model parameter, or
`rules.<id>.<field>`. Dotted names may be quoted (`"move_chance.town" = 0.4`) or written as
TOML dotted keys or tables; both mean the same.

Example:
    # calibrated by corridor calibrate
    walk_speed_km = 31.5
    "rules.mx-inm-detention.probability" = 0.42
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from corridor.errors import Problem, ScenarioError
from corridor.io.atomic import write_text


def _flatten(data: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    pairs = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            pairs += _flatten(value, f"{name}.")
        else:
            pairs.append((name, value))
    return pairs


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value)


def read_params(path: Path) -> list[str]:
    """Return the `NAME=VALUE` settings of a parameter file.

    Raises:
        ScenarioError: When the file is missing or is not TOML, naming the file and line.
    """
    from corridor.scenario.textfile import read_text

    path = Path(path)
    problems: list[Problem] = []
    if not path.exists():
        raise ScenarioError([Problem(str(path), None, None, "no such parameter file")])
    text = read_text(path, str(path), problems, folder=path.resolve().parent)
    if text is None:
        raise ScenarioError(problems)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError([Problem(str(path), getattr(err, "lineno", None), None,
                                     f"not a TOML file of NAME = value pairs: {err}")]
                            ) from None
    return [f"{name}={_text(value)}" for name, value in _flatten(data)]


def _toml_key(name: str) -> str:
    bare = all(c.isalnum() or c in "-_" for c in name)
    return name if bare else json.dumps(name)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return json.dumps(value)


def write_params(path: Path, values: dict[str, Any], header: list[str] | None = None) -> Path:
    """Write parameter values as a TOML file (atomically), with comment lines on top."""
    lines = [f"# {line}" for line in header or []]
    lines += [f"{_toml_key(name)} = {_toml_value(value)}" for name, value in values.items()]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(path, "\n".join(lines) + "\n")
    return path
