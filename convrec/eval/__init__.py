"""Simulated users, metrics, baselines, benchmarks and reports."""
