"""Analysis of runs: scores against observations (`score`, `measures`), Flee's ARD (`ard`)."""
