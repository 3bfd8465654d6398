"""Peak memory of a large streamed upload with the real client.

Creates a sparse 500 MB WAV file (a valid, silent recording), uploads it with AsyncNemoClient over
loopback, and prints how far the process's peak RSS rose during the upload.
The server runs in a child process so its memory is not counted:

    python benchmarks/upload_memory.py                 # a minimal sink server
    python benchmarks/upload_memory.py --server local  # `nemo-skills serve-local`
    python benchmarks/upload_memory.py --mb 100
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

SKILL = "free-generator-editor"  # the 500 MB limit


def make_wav(path: Path, size: int) -> None:
    """A valid 16-bit stereo 44.1 kHz WAV of exactly `size` bytes, all silence, written sparse."""
    data = size - 44
    header = (
        b"RIFF"
        + struct.pack("<I", size - 8)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 2, 44100, 44100 * 4, 4, 16)
    )
    with path.open("wb") as fh:
        fh.write(header + b"data" + struct.pack("<I", data))
        fh.truncate(size)


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


class PeakSampler:
    """Samples VmRSS in a thread; the peak over the sampled window."""

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_kb = max(self.peak_kb, _status_kb("VmRSS"))
            time.sleep(self.interval)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# A sink that speaks just enough of the gateway to accept an upload, in a child process.
SINK = r"""
import asyncio, json, sys

def envelope(data):
    return json.dumps({"code": 0, "message": "ok", "data": data}).encode()

async def handle(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            path = lines[0].split(" ")[1]
            headers = {k.lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:] if l)}
            left = int(headers.get("content-length", "0"))
            received = 0
            while left:
                chunk = await reader.read(min(left, 1 << 20))
                if not chunk:
                    return
                left -= len(chunk)
                received += len(chunk)
            if path == "/api/auth/anonymous-token":
                body = envelope({"token": "bench-token", "expires_in": 3600})
            elif path.startswith("/api/tasks/"):
                body = envelope({"session_id": "bench", "task_id": "t", "bind_id": "b"})
            else:
                body = envelope({"files": [{"name": "big.wav", "kind": "video", "bytes": received}]})
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                         % len(body) + body)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()

async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print("http://127.0.0.1:%d" % server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()

asyncio.run(main())
"""


def start_server(kind: str) -> tuple[subprocess.Popen[str], str]:
    if kind == "local":
        cmd = [str(Path(sys.executable).with_name("nemo-skills")), "serve-local", "--port", "0"]
    else:
        cmd = [sys.executable, "-c", SINK]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    base_url = proc.stdout.readline().strip()
    if not base_url.startswith("http"):
        proc.kill()
        raise SystemExit(f"server did not start: {base_url!r}")
    return proc, base_url


async def upload(base_url: str, path: Path, config_dir: Path) -> tuple[int, int, float, int]:
    from nemo_skills.client import AsyncNemoClient, ClientOptions

    options = ClientOptions(read_timeout=300, write_timeout=300)
    sent = 0

    def progress(done: int, total: int) -> None:
        nonlocal sent
        sent = done

    async with AsyncNemoClient(SKILL, base_url=base_url, config_dir=config_dir, options=options) as client:
        await client.connect()
        base_kb = _status_kb("VmRSS")
        started = time.perf_counter()
        with PeakSampler() as sampler:
            await client.upload_file(path, on_progress=progress)
        elapsed = time.perf_counter() - started
    return base_kb, sampler.peak_kb, elapsed, sent


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mb", type=int, default=500, help="file size in MB (MiB)")
    parser.add_argument("--server", choices=("sink", "local"), default="sink")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.wav"
        make_wav(path, args.mb * 1024 * 1024)
        os.environ["NEMO_SKILLS_CONFIG_DIR"] = str(Path(tmp) / "config")
        proc, base_url = start_server(args.server)
        try:
            base_kb, peak_kb, elapsed, sent = asyncio.run(upload(base_url, path, Path(tmp) / "config"))
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    size = args.mb * 1024 * 1024
    print(
        json.dumps(
            {
                "file_mb": args.mb,
                "server": args.server,
                "bytes_sent": sent,
                "complete": sent == size,
                "rss_before_mb": round(base_kb / 1024, 1),
                "rss_peak_mb": round(peak_kb / 1024, 1),
                "rss_growth_mb": round((peak_kb - base_kb) / 1024, 1),
                "seconds": round(elapsed, 2),
                "throughput_mb_s": round(args.mb / elapsed, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
