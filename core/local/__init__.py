"""The local backend: the NemoVideo protocol on loopback, rendering real MP4s.

`Faults` needs only pydantic; `LocalBackend` is imported on first use, so this
package imports without the [local] extra (starlette, uvicorn, imageio-ffmpeg).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nemo_skills.local.faults import Faults

if TYPE_CHECKING:
    from nemo_skills.local.http.server import LocalBackend

__all__ = ["Faults", "LocalBackend"]


def __getattr__(name: str) -> Any:
    if name == "LocalBackend":
        from nemo_skills.local.http.server import LocalBackend

        return LocalBackend
    raise AttributeError(f"module 'nemo_skills.local' has no attribute {name!r}")
