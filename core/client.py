"""The NemoVideo API client: AsyncNemoClient (async first), NemoClient (sync facade), ClientOptions.

async with AsyncNemoClient("nemo-video-gen") as client:
    reply = await client.send("a 5-second sunset over a city skyline")
    result = await client.export(Path("sunset.mp4"))
"""

from __future__ import annotations

from nemo_skills.async_client import AsyncNemoClient, resolve_skill
from nemo_skills.options import ClientOptions
from nemo_skills.sync_client import NemoClient

__all__ = ["AsyncNemoClient", "ClientOptions", "NemoClient", "resolve_skill"]
