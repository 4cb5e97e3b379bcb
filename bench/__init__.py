"""segbench's harness: CLI, datasets, measurement, training, reports and regression checks."""
