"""Fairness: group metrics, exposure, fair re-ranking and the audit log (issue 5)."""
