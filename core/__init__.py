"""nemo-skills: a runtime, router and CLI for NemoVideo agent skills."""

from __future__ import annotations

__version__ = "0.1.0"
