"""Evaluation metrics (ranking, answer containment, F1). The harness that indexes corpora is app.eval."""
