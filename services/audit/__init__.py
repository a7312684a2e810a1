"""Audit: the tamper-evident, replayable log of every event on the backbone."""
