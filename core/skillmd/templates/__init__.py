"""Jinja2 templates shipped with the package (SKILL.md and friends)."""
