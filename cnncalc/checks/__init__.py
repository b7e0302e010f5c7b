"""The CI checks over a finished report: stable finding codes, lint rules, expectations and
budgets, and the diff of two networks."""
