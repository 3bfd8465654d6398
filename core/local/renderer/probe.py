"""What a media file holds, as the renderer and the upload route read it.

The probe lives in the files layer (files/probe.py), where contact sheets use it too; the names stay
importable from here for the local backend and outside code.
"""

from __future__ import annotations

from nemo_skills.files.probe import MediaInfo, ProbeError, parse_report, probe

__all__ = ["MediaInfo", "ProbeError", "parse_report", "probe"]
