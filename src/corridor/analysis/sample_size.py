"""Warnings for samples too small to mean anything: sensitivity indices, 5–95 % bands.

Each function returns the sentence to print (or None when the sample is large enough): what the
number given gives, the least that makes sense, and why.
"""

from __future__ import annotations

# Sobol' first and total indices are ratios of variances estimated from N base samples
# (Saltelli's estimator); the default is 64, the least we call an estimate.
MIN_SOBOL_SAMPLES = 64
# Morris: mu* is the mean of one elementary effect per trajectory; Morris (1991) and Campolongo
# et al. (2007) use 10 to 50 trajectories.
MIN_MORRIS_TRAJECTORIES = 10
# A 5–95 % band: below 20 members a 5 % tail holds less than one member.
MIN_BAND_MEMBERS = 20


def sensitivity_warning(method: str, samples: int, factors: int) -> str | None:
    """Return a warning when `--samples` is too small for the method's indices, else None.

    Args:
        method: `sobol` or `morris`.
        samples: SALib's N (base samples for Sobol', trajectories for Morris).
        factors: The number of parameters (D), for the number of runs.
    """
    if method == "sobol" and samples < MIN_SOBOL_SAMPLES:
        return (
            f"--samples {samples} is too small for Sobol' indices to mean anything: each index "
            f"is a ratio of variances estimated from {samples} base samples "
            f"({samples * (factors + 2)} runs), so it is noise (it can even leave its 0–1 "
            f"range). Use --samples {MIN_SOBOL_SAMPLES} or more (a power of 2), and read the "
            "± 95 % confidence beside each index: an interval as wide as the index means the "
            "index is not measured."
        )
    if method == "morris" and samples < MIN_MORRIS_TRAJECTORIES:
        return (
            f"--samples {samples} is too small for Morris screening to mean anything: mu* is "
            f"the mean of {samples} elementary effect{'s' if samples != 1 else ''} per "
            "parameter, and the ranking changes from seed to seed. Use --samples "
            f"{MIN_MORRIS_TRAJECTORIES} or more trajectories (Morris 1991 and Campolongo et "
            "al. 2007 use 10 to 50)."
        )
    return None


def band_warning(members: int, option: str) -> str | None:
    """Return a warning when a 5–95 % band over `members` runs says little, else None.

    Args:
        members: Runs the band is computed over (an ensemble's members, a sweep's runs per
            point).
        option: The option that sets it, named in the message (`--runs`, `--runs-per-point`).
    """
    if members < 1 or members >= MIN_BAND_MEMBERS:
        return None  # 0 or fewer is refused by the command itself
    if members == 1:
        return (
            f"{option} {members}: one run has no spread; the 5–95 % band printed is that run's "
            f"value twice, not an uncertainty. Use {option} {MIN_BAND_MEMBERS} or more for a "
            "band (below that a 5 % tail holds less than one run)."
        )
    return (
        f"{option} {members}: with fewer than {MIN_BAND_MEMBERS} runs a 5 % tail holds less "
        "than one run, so the 5–95 % band is interpolated between the lowest two and the "
        f"highest two of the {members} runs; read it as their range, not as a 90 % interval."
    )
