"""The bad-input table: hostile and mistaken inputs, each refused with one clear line and its exit code.

Every case runs the real CLI in its own folder against one shared local backend,
all in parallel. Each asserts the exit code, one `Error:` line on stderr and no
traceback, the one `--json` object where the command has --json, that no secret
is echoed, and that nothing was written outside the places a command may write.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from nemo_skills.errors import IO_ERROR, error_codes
from tests.clirun import cli_env

SECRET = "s3cr3t-TOKEN-value-0123456789"
JSON_COMMANDS = {"run", "state", "export", "resume", "credits", "route", "jobs"}
BACKEND = "{backend}"  # replaced by the shared local backend's URL
DOCUMENTED_CODES = {*error_codes(), IO_ERROR}


@dataclass
class Case:
    """One bad input: the arguments, what it needs on disk, and the exit code it must give."""

    name: str
    args: list[str]
    code: int
    env: dict[str, str] = field(default_factory=dict)
    stdin: bytes = b""
    files: dict[str, bytes] = field(default_factory=dict)
    says: str = ""  # a phrase the error line must hold (case-insensitive)
    secrets: tuple[str, ...] = ()
    never: tuple[str, ...] = ()  # phrases no output may hold (a library's own wording)


def _cases() -> Iterator[Case]:
    bad_ids = {
        "parent": "../../etc/passwd",
        "slash": "a/b",
        "long": "x" * 200,
        "dot": ".hidden",
        "space": "a b",
        "escape": "\x1b[31mred",
        "query": "abc?x=1",
        "empty": "",
    }
    for label, bad in bad_ids.items():
        yield Case(f"run-session-{label}", ["run", "auto", "x", "--session", bad], 2, says="id")
        yield Case(f"state-session-{label}", ["state", "--session", bad, "--backend", BACKEND], 2, says="id")
        yield Case(
            f"export-session-{label}", ["export", "--session", bad, "--backend", BACKEND], 2, says="id"
        )
        yield Case(f"export-render-{label}", ["export", "--render", bad, "--backend", BACKEND], 2, says="id")
        yield Case(f"resume-job-{label}", ["resume", bad], 2, says="id")
    for value in ("nan", "inf", "-inf", "-1", "0", "abc", "1e999"):
        yield Case(f"run-deadline-{value}", ["run", "auto", "x", "--deadline", value], 2, says="deadline")
        yield Case(f"export-deadline-{value}", ["export", "--deadline", value], 2, says="deadline")
        yield Case(f"resume-deadline-{value}", ["resume", "--deadline", value], 2, says="deadline")
    for value in ("0", "65", "x", "-3", "2.5"):
        yield Case(
            f"concurrency-{value}",
            ["run", "auto", "--each", "--concurrency", value],
            2,
            never=("integer range",),
        )
    for value in ("nan", "inf", "-3", "abc"):
        yield Case(
            f"jobs-prune-older-than-{value}",
            ["jobs", "--prune", "--older-than", value],
            2,
            says="--older-than",
            never=("float range",),
        )
        yield Case(
            f"max-credits-{value}", ["run", "auto", "x", "--max-credits", value], 2, says="--max-credits"
        )
    yield Case("jobs-older-than-without-prune", ["jobs", "--older-than", "5"], 2, says="--prune")
    for extra in (["--state", "done"], ["--unfinished"], ["--limit", "3"]):
        yield Case(f"jobs-prune-with{extra[0]}", ["jobs", "--prune", *extra], 2, says="by age only")
    yield Case(
        "concurrency-without-batch", ["run", "auto", "x", "--concurrency", "8"], 2, says="--batch or --each"
    )
    tokens = {
        "non-ascii": "t\u00f8k\u00e9n" + SECRET,
        "crlf": SECRET + "\r\nX-Evil: 1",
        "space": SECRET + " more",
        "escape": "\x1b[31m" + SECRET,
        "nul-like": SECRET + "\x7f",
    }
    for label, token in tokens.items():
        for cmd in (
            ["credits"],
            ["state", "--session", "sess_1"],
            ["run", "auto", "a sunset", "--no-export"],
        ):
            yield Case(
                f"token-{label}-{cmd[0]}",
                [*cmd, "--backend", BACKEND],
                2,
                env={"NEMO_TOKEN": token},
                says="NEMO_TOKEN",
                secrets=(SECRET,),
            )
    urls = {
        "long": "https://example.com/" + "a" * 10_000,
        "ftp": "ftp://example.com/a.mp4",
        "javascript": "javascript:alert(1)",
        "credentials": "ftp://user:" + SECRET + "@example.com/",
        "no-host": "http://",
        "spaces": "http://a b.com/x",
        "words": "not a url",
        "escape": "http://\x1b]0;owned\x07example.com/",
    }
    for label, url in urls.items():
        yield Case(
            f"url-{label}", ["run", "auto", "x", "--url", url, "--backend", BACKEND], 2, secrets=(SECRET,)
        )
    big = b"a long prompt " * 80_000
    yield Case(
        "prompt-1mb-stdin", ["run", "auto", "-", "--backend", BACKEND], 2, stdin=big, says="characters"
    )
    yield Case("prompt-binary-stdin", ["run", "auto", "-", "--backend", BACKEND], 2, stdin=os.urandom(4096))
    yield Case(
        "prompt-bad-utf8-stdin",
        ["run", "auto", "-"],
        2,
        stdin=b"caf\xe9 \xff\xfe",
        says="text. Save it as UTF-8",
    )
    yield Case("prompt-nul-stdin", ["run", "auto", "-", "--backend", BACKEND], 2, stdin=b"a\x00b", says="NUL")
    yield Case("prompt-too-long-arg", ["run", "auto", "word " * 5000, "--backend", BACKEND], 2)
    yield Case("empty-prompt", ["run", "auto", "", "--backend", BACKEND], 2)
    yield Case("only-spaces", ["run", "auto", "   ", "--backend", BACKEND], 2)
    # Files of every kind that cannot be used.
    pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
    yield Case("file-missing", ["run", "auto", "x", "--file", "nope.jpg"], 2)
    yield Case(
        "file-pdf-as-jpg",
        ["run", "video-leonardo", "animate", "--file", "fake.jpg"],
        2,
        files={"fake.jpg": pdf},
    )
    yield Case("file-empty-jpg", ["run", "auto", "animate", "--file", "e.jpg"], 2, files={"e.jpg": b""})
    yield Case("file-text-as-mp4", ["run", "auto", "x", "--file", "t.mp4"], 2, files={"t.mp4": b"hello" * 10})
    yield Case("file-exe", ["run", "auto", "x", "--file", "a.exe"], 2, files={"a.exe": b"MZ" + b"\0" * 64})
    yield Case("file-is-folder", ["run", "auto", "x", "--file", "."], 2)
    yield Case("file-no-extension", ["run", "auto", "x", "--file", "blob"], 2, files={"blob": b"\x00" * 32})
    yield Case("file-escape-name", ["run", "auto", "x", "--file", "\x1b[2Jx.jpg"], 2)
    yield Case(
        "file-binary-docx", ["run", "auto", "x", "--file", "d.docx"], 2, files={"d.docx": b"not a zip"}
    )
    # Names holding bytes that are not UTF-8 (argv arrives with them as lone surrogates): shown escaped.
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
    yield Case(
        "file-name-not-utf8-missing",
        ["run", "auto", "x", "--file", "gone\udcff.jpg"],
        2,
        says="gone\\xff.jpg",
    )
    yield Case(
        "file-name-not-utf8-existing",
        ["run", "video-leonardo", "animate", "--file", "bad\udcff.jpg", "--backend", BACKEND],
        2,
        files={"bad\udcff.jpg": jpeg},
        says="bad\\xff.jpg",
    )
    yield Case(
        "file-name-not-utf8-each",
        ["run", "auto", "animate", "--each", "--file", "bad\udcfe.jpg", "--backend", BACKEND],
        2,
        files={"bad\udcfe.jpg": jpeg},
        says="bad\\xfe.jpg",
    )
    yield Case(
        "output-name-not-utf8",
        ["run", "auto", "a sunset", "-o", "out\udcff.mp4", "--backend", BACKEND],
        2,
        says="out\\xff.mp4",
    )
    yield Case(
        "prompt-not-utf8-arg",
        ["run", "auto", "caf\udce9 \udcff sunset", "--backend", BACKEND],
        2,
        says="caf\\xe9 \\xff sunset",
    )
    yield Case("session-not-utf8", ["state", "--session", "sess_\udcff", "--backend", BACKEND], 2, says="id")
    yield Case("route-pdf-as-jpg", ["route", "animate", "--file", "fake.jpg"], 2, files={"fake.jpg": pdf})
    yield Case("route-folder-as-file", ["route", "animate", "--file", "."], 2)
    yield Case("route-nothing", ["route", ""], 2)
    # Flag combinations refused with the reason.
    yield Case(
        "batch-with-text",
        ["run", "auto", "hello", "--batch", "b.jsonl"],
        2,
        files={"b.jsonl": b'{"text": "x"}\n'},
        says="--batch",
    )
    yield Case(
        "batch-with-each",
        ["run", "auto", "--batch", "b.jsonl", "--each"],
        2,
        files={"b.jsonl": b'{"text": "x"}\n'},
        says="--each",
    )
    yield Case("no-export-with-o", ["run", "auto", "x", "--no-export", "-o", "a.mp4"], 2, says="--no-export")
    yield Case(
        "session-and-continue", ["run", "auto", "x", "--session", "s1", "--continue"], 2, says="--continue"
    )
    yield Case("state-session-and-continue", ["state", "--session", "s1", "--continue"], 2)
    yield Case("each-without-files", ["run", "auto", "x", "--each"], 2, says="--each")
    yield Case(
        "batch-with-session",
        ["run", "auto", "--batch", "b.jsonl", "--session", "s1"],
        2,
        files={"b.jsonl": b'{"text": "x"}\n'},
    )
    yield Case(
        "batch-o-is-file",
        ["run", "auto", "--batch", "b.jsonl", "-o", "f.mp4"],
        2,
        files={"b.jsonl": b'{"text": "x"}\n', "f.mp4": b"x"},
    )
    yield Case("resume-jobs-and-session", ["resume", "job1", "--session", "s1"], 2)
    yield Case("unknown-option", ["run", "auto", "x", "--frobnicate"], 2)
    yield Case("unknown-command", ["frobnicate"], 2)
    yield Case("unknown-skill", ["run", "no-such-skill", "x", "--backend", BACKEND], 2)
    yield Case("show-unknown-skill", ["show", "no-such-skill"], 2)
    yield Case("bad-progress", ["run", "auto", "x", "--progress", "loud"], 2)
    yield Case("missing-batch-file", ["run", "auto", "--batch", "none.jsonl"], 2)
    yield Case(
        "output-exists",
        ["run", "auto", "a sunset", "-o", "f.mp4", "--backend", BACKEND],
        2,
        files={"f.mp4": b"x"},
    )
    # Batch files: outputs confined to -o, broken files refused.
    for label, out in (
        ("parent", "../../escape.mp4"),
        ("absolute", "/tmp/escape-i12.mp4"),
        ("home", "~/escape.mp4"),
        ("inner-parent", "a/../../escape.mp4"),
    ):
        line = json.dumps({"text": "a sunset", "output": out}).encode()
        yield Case(
            f"batch-output-{label}",
            ["run", "auto", "--batch", "b.jsonl", "-o", "out", "--backend", BACKEND],
            2,
            files={"b.jsonl": line + b"\n"},
            says="output",
        )
    yield Case(
        "batch-not-utf8",
        ["run", "auto", "--batch", "b.jsonl"],
        2,
        files={"b.jsonl": b"\xff\xfe\x00x"},
        says="UTF-8",
    )
    yield Case("batch-empty", ["run", "auto", "--batch", "b.jsonl"], 2, files={"b.jsonl": b"\n# nothing\n"})
    yield Case(
        "batch-too-many",
        ["run", "auto", "--batch", "b.jsonl"],
        2,
        files={"b.jsonl": b'{"text": "x"}\n' * 1001},
    )
    yield Case(
        "batch-bad-json",
        ["run", "auto", "--batch", "b.jsonl", "--backend", BACKEND],
        2,
        files={"b.jsonl": b"{not json\n"},
    )
    yield Case(
        "batch-unknown-key",
        ["run", "auto", "--batch", "b.jsonl", "--backend", BACKEND],
        2,
        files={"b.jsonl": b'{"txt": "x"}\n'},
    )
    yield Case(
        "batch-empty-line-object",
        ["run", "auto", "--batch", "b.jsonl", "--backend", BACKEND],
        2,
        files={"b.jsonl": b"{}\n"},
    )
    yield Case("batch-is-folder", ["run", "auto", "--batch", "."], 2)
    # Environment variables.
    for cmd in (["run", "auto", "a sunset", "--no-export"], ["state"], ["export"], ["resume"]):
        yield Case(
            f"data-dir-is-file-{cmd[0]}",
            [*cmd, "--backend", BACKEND],
            1,
            env={"NEMO_SKILLS_DATA_DIR": "{root}/afile"},
            files={"afile": b"x"},
            says="NEMO_SKILLS_DATA_DIR",
        )
    yield Case(
        "data-dir-is-file-jobs",
        ["jobs"],
        1,
        env={"NEMO_SKILLS_DATA_DIR": "{root}/afile"},
        files={"afile": b"x"},
    )
    yield Case(
        "config-dir-is-file",
        ["credits", "--backend", BACKEND],
        1,
        env={"NEMO_SKILLS_CONFIG_DIR": "{root}/afile"},
        files={"afile": b"x"},
        says="NEMO_SKILLS_CONFIG_DIR",
    )
    yield Case("registry-missing", ["list"], 2, env={"NEMO_SKILLS_REGISTRY": "{root}/none.yaml"})
    yield Case(
        "registry-version-2",
        ["list"],
        2,
        env={"NEMO_SKILLS_REGISTRY": "{root}/r.yaml"},
        files={"r.yaml": b"version: 2\n"},
        says="version",
    )
    yield Case(
        "registry-bad-yaml",
        ["list"],
        2,
        env={"NEMO_SKILLS_REGISTRY": "{root}/r.yaml"},
        files={"r.yaml": b"skills: [\n"},
    )
    yield Case(
        "registry-unknown-key",
        ["list"],
        2,
        env={"NEMO_SKILLS_REGISTRY": "{root}/r.yaml"},
        files={"r.yaml": b"colour: red\n"},
    )
    yield Case(
        "registry-not-utf8",
        ["list"],
        2,
        env={"NEMO_SKILLS_REGISTRY": "{root}/r.yaml"},
        files={"r.yaml": b"\xff\xfe\xfa"},
    )
    yield Case(
        "registry-all-disabled",
        ["route", "a sunset"],
        2,
        env={"NEMO_SKILLS_REGISTRY": "{root}/r.yaml"},
        files={"r.yaml": b"include_unlisted: false\n"},
        says="no skill is served",
    )
    yield Case("registry-flag-folder", ["--registry", ".", "list"], 2)
    yield Case("api-base-ftp", ["credits"], 2, env={"NEMO_API_BASE": "ftp://example.com"})
    yield Case(
        "api-base-credentials",
        ["credits"],
        2,
        env={"NEMO_API_BASE": f"ftp://u:{SECRET}@example.com"},
        secrets=(SECRET,),
    )
    yield Case("api-base-query", ["credits"], 2, env={"NEMO_API_BASE": "http://127.0.0.1:9/?a=1"})
    yield Case("backend-env-bogus", ["credits"], 2, env={"NEMO_SKILLS_BACKEND": "nowhere"})
    yield Case("backend-flag-bogus", ["credits", "--backend", "gopher://x"], 2)
    yield Case("backend-unreachable", ["credits", "--backend", "http://127.0.0.1:9"], 7)
    # serve-local settings: refused before anything is served.
    for value in ("0", "-1", "nan", "inf", "abc", "9999999"):
        yield Case(f"serve-local-keep-hours-{value}", ["serve-local", "--keep-hours", value], 2, says="keep")
    yield Case("serve-local-keep-hours-env", ["serve-local"], 2, env={"NEMO_SKILLS_KEEP_HOURS": "soon"})
    yield Case(
        "serve-local-keep-hours-and-keep-renders",
        ["serve-local", "--keep-hours", "2", "--keep-renders"],
        2,
        says="give one of them",
    )
    yield Case(
        "serve-local-data-dir-is-file",
        ["serve-local", "--data-dir", "notes.txt"],
        2,
        files={"notes.txt": b"x"},
    )
    yield Case("serve-local-public-host", ["serve-local", "--host", "0.0.0.0"], 2, says="loopback")
    for value in ("-1", "nan", "inf"):
        yield Case(
            f"serve-local-chat-delay-{value}", ["serve-local", "--chat-delay", value], 2, says="chat-delay"
        )
    yield Case(
        "serve-local-request-log-no-folder",
        ["serve-local", "--request-log", "missing/requests.jsonl"],
        2,
        says="request log",
    )
    yield Case(
        "serve-local-request-log-is-folder", ["serve-local", "--request-log", "."], 2, says="request-log"
    )
    # Corrupt state files.
    yield Case(
        "token-cache-is-folder",
        ["credits", "--backend", BACKEND],
        1,
        files={"config/auth.json/x": b""},
        env={"NEMO_SKILLS_CONFIG_DIR": "{root}/config"},
        says="auth.json is a folder",
    )
    yield Case(
        "export-render-unknown",
        ["export", "--session", "sess_0000", "--render", "render_never_started", "--backend", BACKEND],
        2,
        says="not known to the backend",
    )
    yield Case("resume-nothing-pending", ["resume", "--backend", BACKEND], 2)
    yield Case("state-no-session", ["state", "--backend", BACKEND], 2)
    yield Case("export-no-session", ["export", "--backend", BACKEND], 2)
    yield Case("resume-unknown-job", ["resume", "job_does_not_exist"], 2)
    yield Case(
        "state-unknown-session",
        ["state", "--session", "sess_0000", "--skill", "nemo-video-gen", "--backend", BACKEND],
        7,
    )

    yield from _edge_cases()
    yield from _credential_cases()


def _edge_cases() -> Iterator[Case]:
    """Ports, hosts and empty values, refused where they come in."""
    for label, url in {
        "port-too-big": "http://127.0.0.1:99999",
        "port-zero": "http://127.0.0.1:0",
        "port-words": "http://127.0.0.1:abc",
        "port-negative": "http://127.0.0.1:-1",
        "host-hyphens": "http://-bad-.com",
        "host-empty-label": "http://a..b",
        "host-only-port": "http://:8000",
    }.items():
        yield Case(f"backend-{label}", ["credits", "--backend", url], 2, says="--backend URL")
        yield Case(f"api-base-{label}", ["credits"], 2, env={"NEMO_API_BASE": url}, says="NEMO_API_BASE")
    yield Case("url-port-too-big", ["run", "auto", "x", "--url", "http://127.0.0.1:99999/a"], 2, says="port")
    yield Case("url-port-zero", ["run", "auto", "x", "--url", "https://example.com:0/a"], 2, says="port")
    yield Case("route-url-bad-host", ["route", "x", "--url", "http://exa_mple-.com/a"], 2, says="host")
    for cmd in (["credits"], ["state"], ["export"], ["resume"], ["run", "auto", "a sunset"], ["mcp"]):
        yield Case(f"backend-empty-{cmd[0]}", [*cmd, "--backend", ""], 2, says="empty")
    yield Case("backend-spaces", ["credits", "--backend", "   "], 2, says="empty")
    yield Case("install-backend-bad-port", ["install", "cursor", "--backend", "http://127.0.0.1:99999"], 2)
    empty_paths = {
        "run-output": ["run", "auto", "a sunset", "-o", "", "--backend", BACKEND],
        "run-file": ["run", "auto", "a sunset", "--file", ""],
        "run-batch": ["run", "auto", "--batch", ""],
        "export-output": ["export", "-o", "", "--backend", BACKEND],
        "resume-output": ["resume", "-o", ""],
        "chat-output": ["chat", "nemo-video-gen", "-o", ""],
        "route-file": ["route", "x", "--file", ""],
        "registry": ["--registry", "", "list"],
        "generate-out": ["generate", "--out", ""],
        "install-workspace": ["install", "openclaw", "--workspace", ""],
        "serve-local-data-dir": ["serve-local", "--data-dir", ""],
        "serve-local-request-log": ["serve-local", "--request-log", ""],
        "mcp-output-dir": ["mcp", "--output-dir", ""],
    }
    for label, args in empty_paths.items():
        yield Case(f"empty-{label}", args, 2, says="empty")
    for flag, value in (("--http", "99999"), ("--http", "0"), ("--http", ""), ("--http", "-1")):
        yield Case(f"mcp-http-{value or 'empty'}", ["mcp", flag, value], 2, says="--http")
    for value in ("99999", "-1", "", "http"):
        yield Case(f"serve-local-port-{value or 'empty'}", ["serve-local", "--port", value], 2, says="--port")
    # Client options: the option, the value and what it takes, in words; never pydantic's text.
    pydantic_text = ("pydantic", "validation error", "type=", "input_value")
    for label, options, says in (
        ("words-for-number", '{"poll_initial": "soon"}', "poll_initial"),
        ("below-bound", '{"read_timeout": 0}', "greater than 0"),
        ("whole-number", '{"poll_burst": 1.5}', "whole number"),
        ("nan", '{"poll_max": NaN}', "finite"),
        ("infinity", '{"render_deadline": Infinity}', "finite"),
        ("unknown-name", '{"poll_inital": 1}', "poll_initial"),
        ("list-value", '{"poll_max": [1]}', "poll_max"),
        ("bad-json", "{oops", "not JSON"),
        ("not-object", "[1]", "JSON object"),
    ):
        yield Case(
            f"client-options-{label}",
            ["credits", "--backend", BACKEND],
            2,
            env={"NEMO_SKILLS_CLIENT_OPTIONS": options},
            says=says,
            never=pydantic_text,
        )


def _credential_cases() -> Iterator[Case]:
    """A URL's user and password are never shown: not in errors, --json, replies or listings."""
    secrets = (SECRET,)
    unreachable = f"http://user:{SECRET}@127.0.0.1:9"
    for cmd in (
        ["credits"],
        ["state", "--session", "sess_1", "--skill", "nemo-video-gen"],
        ["run", "auto", "a sunset", "--no-export"],
        ["export", "--session", "sess_1", "--skill", "nemo-video-gen"],
    ):
        yield Case(f"credentials-unreachable-{cmd[0]}", [*cmd, "--backend", unreachable], 7, secrets=secrets)
    yield Case(
        "credentials-bad-port",
        ["credits", "--backend", f"http://user:{SECRET}@127.0.0.1:99999"],
        2,
        secrets=secrets,
    )
    yield Case(
        "credentials-api-base-unreachable",
        ["credits"],
        7,
        env={"NEMO_API_BASE": unreachable},
        secrets=secrets,
    )
    yield Case(
        "credentials-mcp-bad-port",
        ["mcp", "--backend", f"https://{SECRET}@127.0.0.1:70000"],
        2,
        secrets=secrets,
    )
    yield Case(
        "credentials-link-bad-port",
        ["run", "auto", "x", "--url", f"http://user:{SECRET}@example.com:99999/x", "--backend", BACKEND],
        2,
        secrets=secrets,
    )
    # Runs that succeed: the link reaches the backend whole, and nothing shown holds its password.
    link = f"http://user:{SECRET}@example.com/clip"
    yield Case(
        "credentials-link-reply",
        ["run", "generator-by-link", "--url", link, "--no-export", "--backend", BACKEND],
        0,
        secrets=secrets,
    )
    yield Case(
        "credentials-link-saved",
        ["run", "auto", f"a video of {link}", "-o", "out", "--backend", BACKEND],
        0,
        files={"out/.keep": b""},  # a folder: the file is named from the request
        secrets=secrets,
    )
    yield Case("credentials-route", ["route", "make a video", "--url", link], 0, secrets=secrets)
    yield Case(
        "credentials-install-dry-run",
        ["install", "cursor", "--backend", f"http://user:{SECRET}@127.0.0.1:8000", "--dry-run"],
        0,
        env={"HOME": "{root}"},  # the agent host's folders are looked for here, not in the real home
        secrets=secrets,
    )


CASES = list(_cases())


@dataclass
class Outcome:
    """What one case did: its process result and the files that appeared under its root."""

    case: Case
    code: int
    stdout: str
    stderr: str
    new_files: list[str]
    root: Path


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def _run(case: Case, root: Path, backend_url: str) -> Outcome:
    root.mkdir(parents=True)
    work = root / "work"
    work.mkdir()
    for name, data in case.files.items():
        target = (root if name.startswith("config/") else work) / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    args = [a.replace(BACKEND, backend_url) for a in case.args]
    if args and args[0] in JSON_COMMANDS:
        args.append("--json")
    env = cli_env(
        NEMO_SKILLS_CONFIG_DIR=str(root / "config"),
        NEMO_SKILLS_DATA_DIR=str(root / "data"),
        NO_COLOR="1",
    )
    for key in ("NEMO_TOKEN", "NEMO_API_BASE", "NEMO_SKILLS_REGISTRY", "NEMO_SKILLS_BACKEND"):
        env.pop(key, None)
    env.update(
        {
            k: v.replace("{root}/config", str(root / "config")).replace("{root}", str(work))
            for k, v in case.env.items()
        }
    )
    before = _tree(root)
    proc = subprocess.run(
        [sys.executable, "-m", "nemo_skills", *args],
        cwd=work,
        env=env,
        input=case.stdin,
        capture_output=True,
        timeout=120,
    )
    allowed = ("config/", "data/", "work/out/")
    new = sorted(f for f in _tree(root) - before if not f.startswith(allowed))
    return Outcome(
        case,
        proc.returncode,
        proc.stdout.decode("utf-8", "replace"),
        proc.stderr.decode("utf-8", "replace"),
        new,
        root,
    )


@pytest.fixture(scope="module")
def outcomes(local_backend: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    base = tmp_path_factory.mktemp("bad_input")
    escape = Path("/tmp/escape-i12.mp4")
    escape.unlink(missing_ok=True)
    run: Callable[[Case], Outcome] = lambda c: _run(c, base / c.name, local_backend.base_url)  # noqa: E731
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = {o.case.name: o for o in pool.map(run, CASES)}
    assert not escape.exists(), "a batch wrote outside its output folder"
    assert not (base.parent / "escape.mp4").exists()
    return results


def test_the_table_has_at_least_120_cases() -> None:
    assert len(CASES) >= 120
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("name", [c.name for c in CASES])
def test_bad_input(outcomes: dict[str, Outcome], name: str) -> None:
    out = outcomes[name]
    case = out.case
    assert out.code == case.code, f"exit {out.code}, expected {case.code}; stderr: {out.stderr!r}"
    assert "Traceback" not in out.stderr and "Traceback" not in out.stdout
    errors = [line for line in out.stderr.splitlines() if line.startswith("Error:")]
    assert not set("\x1b\x07\x9b") & set(out.stderr), "a control character reached the terminal"
    for secret in case.secrets:
        assert secret not in out.stderr and secret not in out.stdout, "a secret was echoed"
    for phrase in case.never:
        assert phrase.lower() not in (out.stderr + out.stdout).lower(), f"{phrase!r} was shown"
    assert out.new_files == [], f"files written outside the allowed places: {out.new_files}"
    if case.code == 0:
        assert errors == [], out.stderr
        if case.args[0] in JSON_COMMANDS:
            assert "error" not in json.loads(out.stdout)
        return
    assert len(errors) == 1, f"expected one Error: line, got {out.stderr!r}"
    line = errors[0]
    assert len(line) < 400, "an error line quotes a value whole"
    if case.says:
        assert case.says.lower() in line.lower(), line
    if case.args[0] in JSON_COMMANDS:
        text = out.stdout.strip()
        assert text.startswith("{") and text.endswith("}"), f"stdout is not one JSON object: {out.stdout!r}"
        data = json.loads(text)
        assert data["error"]["exit_code"] == case.code
        assert data["error"]["message"]
        assert data["error"]["code"] in DOCUMENTED_CODES, data["error"]
        assert "protocol_code" in data["error"]
        assert {"session_id", "render_id"} <= data.keys()
    else:
        assert out.stdout.strip() == "" or out.stdout.lstrip().startswith(("Usage", "SKILL")), out.stdout
