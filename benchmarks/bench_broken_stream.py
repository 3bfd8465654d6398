"""How long a reply takes when its stream breaks off: the state is settled before the reply is given.

.venv/bin/python benchmarks/bench_broken_stream.py [--rounds N] [--settle-interval S]

Sends "a 5-second sunset" to a local backend on 127.0.0.1 three ways: a whole stream, a
stream dropped after 2 events (mid-edit, as `serve-local --drop-stream-after 2` does), and
a stream that fails before the edit (nothing applied). Prints the median seconds of each
`send`, so the cost of settling (two equal state reads, `settle_interval` apart) shows.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from nemo_skills.client import AsyncNemoClient, ClientOptions
from nemo_skills.errors import BackendError
from nemo_skills.local import Faults, LocalBackend

CASES = {
    "whole stream": Faults(),
    "dropped after 2 events (applied)": Faults(
        drop_stream_after=2, drop_stream_times=10**6, empty_reply_share=0
    ),
    "error before the edit (not applied)": Faults(stream_error_times=10**6, empty_reply_share=0),
}


async def one_send(base_url: str, options: ClientOptions, config_dir: Path) -> tuple[float, str]:
    """Seconds of one send in a new session, and how it ended."""
    async with AsyncNemoClient(
        "nemo-video-gen", base_url=base_url, options=options, config_dir=config_dir
    ) as c:
        await c.connect()
        start = time.perf_counter()
        try:
            reply = await c.send("a 5-second sunset")
            outcome = "applied" if reply.changes else "no change"
        except BackendError:
            outcome = "not applied (error)"
        return time.perf_counter() - start, outcome


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--settle-interval", type=float, default=ClientOptions().settle_interval)
    args = parser.parse_args()
    options = ClientOptions(settle_interval=args.settle_interval)
    print(f"settle_interval = {args.settle_interval:g} s, {args.rounds} rounds each")
    for name, faults in CASES.items():
        with tempfile.TemporaryDirectory() as tmp, LocalBackend(faults=faults) as backend:
            runs = [await one_send(backend.base_url, options, Path(tmp)) for _ in range(args.rounds)]
            seconds = statistics.median(t for t, _ in runs)
            outcomes = sorted({o for _, o in runs})
            print(
                f"{name:38s} {seconds:6.2f} s  ({', '.join(outcomes)}; {backend.chat_requests} chat requests)"
            )


if __name__ == "__main__":
    asyncio.run(main())
