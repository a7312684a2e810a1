"""Notify: tells citizens about every status change of their applications."""
