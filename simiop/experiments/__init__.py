"""Experiments: scenarios x replications, run by an executor, written so they last."""
