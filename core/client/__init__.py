"""The client layer: the NemoVideo API client, AsyncNemoClient (async first) and NemoClient (sync facade).

async with AsyncNemoClient("nemo-video-gen") as client:
    reply = await client.send("a 5-second sunset over a city skyline")
    result = await client.export(Path("sunset.mp4"))

Names load on first use, so importing a module of this layer does not pull in httpx.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "AsyncNemoClient": "nemo_skills.client.async_client",
    "resolve_skill": "nemo_skills.client.async_client",
    "NemoClient": "nemo_skills.client.sync_client",
    "ClientOptions": "nemo_skills.client.settings",
    "ClientConfig": "nemo_skills.client.config",
}

__all__ = ["AsyncNemoClient", "ClientConfig", "ClientOptions", "NemoClient", "resolve_skill"]


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use (PEP 562)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'nemo_skills.client' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


if TYPE_CHECKING:
    from nemo_skills.client.async_client import AsyncNemoClient, resolve_skill
    from nemo_skills.client.config import ClientConfig
    from nemo_skills.client.settings import ClientOptions
    from nemo_skills.client.sync_client import NemoClient
