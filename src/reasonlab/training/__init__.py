"""One training layer for every trainer here: schedule, atomic checkpoints with a recipe guard,
resume, metrics JSONL and plots (testbed training and RL use it)."""
