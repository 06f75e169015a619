"""The simulation engine: network, columnar agents, movement models and the daily loop."""
