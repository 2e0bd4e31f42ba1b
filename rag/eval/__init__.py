"""Evaluation: retrieval (BEIR layout) and answer quality (QA sets) as first-class commands."""
