"""What a Flee scenario uses that Flee 3.1's code and its documentation read differently.

`compat = "flee-3.1"` (the default of `corridor import-flee` and of running a Flee folder)
reproduces Flee 3.1's code; `compat = "documented"` follows Flee's documentation. The items are
D1–D8 of `docs/flee-compatibility.md`, section 7. `differences` lists, for one scenario, every
setting or input it actually uses that the two readings treat differently, so the person
importing it sees what the choice changes.
"""

from __future__ import annotations

from corridor.flee.scenario import FleeScenario

COMPAT_CHOICES = ("flee-3.1", "documented")
DEFAULT_COMPAT = "flee-3.1"
POSITIVE = 1e-6


def _settings_differences(fs: FleeScenario) -> list[str]:
    s = fs.settings.effective()
    name = fs.settings_path.name if fs.settings_path else "simsetting.yml"
    out = []
    if s.capacity_scaling != 1.0:
        out.append(f"{name}: capacity_scaling: {s.capacity_scaling:g} is ignored by Flee 3.1 "
                   f"(camp capacities as written); documented: capacities × "
                   f"{s.capacity_scaling:g}")
    if s.camps_are_sinks and not s.camps_are_sicks:
        out.append(f"{name}: camps_are_sinks: true does nothing in Flee 3.1 (it reads the "
                   "misspelt key camps_are_sicks); documented: camps are sinks")
    if s.awareness_level == 0:
        out.append(f"{name}: awareness_level: 0 makes nobody move in Flee 3.1; documented: "
                   "routes weighed by length only")
    if s.awareness_level == -1:
        out.append(f"{name}: awareness_level: -1 behaves like 1 in Flee 3.1 (minus marker "
                   "paths); documented: a uniform choice among links")
    if s.use_pop_for_loc_weight:
        out.append(f"{name}: use_pop_for_loc_weight: true multiplies by min(1, population)^"
                   "power in Flee 3.1 (0 or 1); documented: max(1, population)^power")
    if s.stay_close_to_home:
        out.append(f"{name}: stay_close_to_home: true measures from where a person is, with "
                   "latitude and longitude swapped, in Flee 3.1; documented: from their home")
    return out


def _input_differences(fs: FleeScenario) -> list[str]:
    out = []
    forced = [r for r in fs.routes if r.forced_redirection in (1, 2)]
    if forced:
        names = ", ".join(f"{r.name1}-{r.name2}" for r in forced[:3])
        more = f" and {len(forced) - 3} more" if len(forced) > 3 else ""
        out.append(f"routes.csv: {len(forced)} forced redirection(s) ({names}{more}) are never "
                   "used by Flee 3.1's movement; documented: people are sent along them")
    links = [c for c in fs.closures if c.closure_type == "link"]
    if links:
        out.append(f"closures.csv: {len(links)} link closure(s) close nothing in Flee 3.1; "
                   "documented: the link closes both ways")
    if fs.conflicts is not None:
        m = fs.conflicts.intensity
        changed, ended = set(), set()
        for j, name in enumerate(fs.conflicts.names):
            for d in range(1, m.shape[0]):
                before, now = float(m[d - 1, j]), float(m[d, j])
                if before > POSITIVE and now > POSITIVE and now != before:
                    changed.add(name)
                if before > POSITIVE and now <= POSITIVE and before != 1.0:
                    ended.add(name)
        if changed:
            out.append(f"conflicts.csv: the intensity of {len(changed)} place(s) changes while "
                       "positive; Flee 3.1 keeps the first value, documented: updated")
        if ended:
            out.append(f"conflicts.csv: {len(ended)} place(s) fall to 0 from an intensity other "
                       "than 1; Flee 3.1 keeps them conflict zones, documented: they end")
    return out


def differences(fs: FleeScenario) -> list[str]:
    """Return what this scenario uses that `flee-3.1` and `documented` read differently.

    Args:
        fs: A read Flee scenario.

    Returns:
        One line per setting or input file feature, naming the file, the value, what Flee 3.1
        does and what the documented reading does; empty when both readings give the same
        model.
    """
    return _settings_differences(fs) + _input_differences(fs)
