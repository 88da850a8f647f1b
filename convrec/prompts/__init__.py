"""Prompt templates, stored as files beside this module and loaded by name."""
