"""Every fact a seed SKILL.md states appears in the api-mode SKILL.md generated for that skill.

Each fact is a pair of regexes: one that finds it in the seed (so the list
cannot hold a fact the seed never stated) and one that finds it in the
generated file (the same regex when the wording is the same). Both texts are
compared with markdown backticks and bold dropped, whitespace collapsed, and
case ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from nemo_skills.catalog.registry import get_catalog
from nemo_skills.skillmd.generate import Format, Mode, render_skill_md
from tests.conftest import SEEDS


@dataclass(frozen=True)
class Fact:
    """A fact: its regex in the seed, and in the generated text when worded differently."""

    seed: str
    out: str | None = None

    @property
    def generated(self) -> str:
        return self.out if self.out is not None else self.seed


def lit(text: str) -> Fact:
    """A fact stated in the same words in the seed and in the generated file."""
    return Fact(re.escape(text))


def lits(seed: str, out: str) -> Fact:
    """A fact worded differently: two literals."""
    return Fact(re.escape(seed), re.escape(out))


def endpoint(method: str, path: str) -> Fact:
    """An endpoint and its method, as a table row ('/path | POST') or inline ('POST /path')."""
    p = re.escape(path)
    return Fact(rf"({method} {p}|{p}\W*{method})")


BASE = "https://mega-api-prod.nemovideo.ai"

# Facts every one of the five seeds states (each is also checked against each seed).
COMMON: tuple[Fact, ...] = (
    # Setup
    Fact(
        r"(before handling any user request|on first interaction|when a user first opens this skill)",
        re.escape("Before handling any user request"),
    ),
    Fact(
        r"NEMO_TOKEN (is in the|environment variable is already set|is set in the)",
        r"NEMO_TOKEN is set in the",
    ),
    Fact(r"generate a (random )?UUID as client identifier"),
    lit(f"{BASE}/api/auth/anonymous-token"),
    lit("X-Client-Id"),
    Fact(
        r"100 (free )?credits,? (valid (for )?7 days|7-day expiry)",
        re.escape("100 free credits, valid for 7 days"),
    ),
    lit(f"{BASE}/api/tasks/me/with-session/nemo_agent"),
    Fact(r"Bearer (auth|<)", re.escape("Authorization: Bearer <NEMO_TOKEN>")),
    Fact(
        r"session_id.{0,50}(following|subsequent|from the response)",
        r"session_id is needed for all following",
    ),
    Fact(
        r"(Tell the user you're ready|Confirm to the user you're connected and ready|"
        r"Keep setup communication brief)",
        re.escape("Tell the user you're ready"),
    ),
    # What it does
    Fact(r"1080p"),
    # Intent routing
    Fact(r"routed to the corresponding action via keyword and intent classification"),
    Fact(
        r"Everything else \(generate, edit, add BGM…\)\W*→ §3\.1 SSE",
        r"Everything else \(generate, edit, add BGM…\)\W*→ SSE",
    ),
    # Render pipeline
    lit(
        "Each export job queues on a cloud GPU node that composites video layers, applies platform-spec "
        "compression (H.264, up to 1080x1920), and returns a download URL within 30-90 seconds"
    ),
    lit("The session token carries render job IDs, so closing the tab before completion orphans the job"),
    # Endpoints
    lit(BASE),
    endpoint("POST", "/api/tasks/me/with-session/nemo_agent"),
    endpoint("POST", "/run_sse"),
    endpoint("POST", "/api/upload-video/nemo_agent/me/<sid>"),
    endpoint("GET", "/api/credits/balance/simple"),
    endpoint("GET", "/api/state/nemo_agent/me/<sid>/latest"),
    endpoint("POST", "/api/render/proxy/lambda"),
    lit("Accept: text/event-stream"),
    Fact(r"15 min", re.escape("Max timeout: 15 minutes")),
    Fact(r"multipart"),
    Fact(r"available, frozen, total"),
    Fact(r"poll.{0,60}every 30s"),
    lit("mp4, mov, avi, webm, mkv, jpg, png, gif, webp, mp3, wav, m4a, aac"),
    # Headers
    Fact(
        r"(derived from|must match) this file's (YAML )?frontmatter",
        re.escape("Headers are derived from this file's YAML frontmatter"),
    ),
    Fact(
        r"X-Skill-Version (comes from the version field|\W*frontmatter version)",
        r"X-Skill-Version \| frontmatter version",
    ),
    Fact(
        r"~/\.clawhub/ = clawhub, ~/\.cursor/skills/ = cursor, otherwise unknown|clawhub / cursor / unknown from install path",
        re.escape("~/.clawhub/ = clawhub, ~/.cursor/skills/ = cursor, otherwise unknown"),
    ),
    Fact(r"Authorization: Bearer <NEMO_TOKEN>"),
    Fact(r"(X-Skill-Source, X-Skill-Version, X-Skill-Platform|attribution headers)"),
    Fact(
        r"(missing attribution headers will cause export to fail with 402|omitting them triggers a 402 on export|"
        r"if any header is missing, exports return 402)",
        re.escape("Missing attribution headers will cause export to fail with 402"),
    ),
    # SSE
    Fact(
        r"(Tool calls stay internal|Tool call/result\W*Process internally, don't forward)",
        re.escape(
            "Tool call/result (functionCall / functionResponse parts) | Process internally, don't forward"
        ),
    ),
    Fact(r"heartbeat"),
    Fact(r"empty data:"),
    Fact(
        r"every 2 min(utes)?\W+\"?⏳ Still working\.\.\.|⏳ Still working\.\.\.\" every 2 minutes",
        re.escape('Every 2 min: "⏳ Still working..."'),
    ),
    Fact(
        r"30% of edit(ing)? operations",
        re.escape("About 30% of edit operations close the stream without any text"),
    ),
    Fact(
        r"poll (/api/state|session state)", re.escape("poll /api/state/nemo_agent/me/<sid>/latest to confirm")
    ),
    Fact(
        r"(tell the user what was updated|summarize changes to the user)",
        re.escape("tell the user what was updated"),
    ),
    # GUI translation
    Fact(
        r"The backend (assumes a GUI exists|responds as if there's a visual interface)",
        re.escape("The backend assumes a GUI exists"),
    ),
    Fact(
        r'"click( \[button\])?" (/|or) "点击"\W*(Execute via API|→ execute the action)',
        re.escape('"click [button]" / "点击" | Execute via API'),
    ),
    Fact(
        r'"open( \[panel\])?" (/|or) "打开"\W*(Query session state|→ query session state)',
        re.escape('"open [panel]" / "打开" | Query session state'),
    ),
    Fact(
        r'"drag/drop" (/|or) "拖拽"\W*(Send edit via SSE|→ send the edit command through SSE)',
        re.escape('"drag/drop" / "拖拽" | Send edit via SSE'),
    ),
    Fact(
        r'"preview in timeline"\W*(Show track summary|→ show a text summary of current tracks)',
        re.escape('"preview in timeline" | Show track summary'),
    ),
    Fact(
        r'"Export( button)?" (/|or) "导出"\W*(Execute export workflow|→ run the export workflow)',
        re.escape('"Export button" / "导出" | Execute export workflow'),
    ),
    # Draft keys
    Fact(r"\bt( for |=)tracks"),
    Fact(r"\btt( for |=)track type \(0=video, 1=audio, 7=text\)"),
    Fact(r"\bsg( for |=)segments"),
    Fact(r"\bd( for |=)duration ?(in ms|\(ms\))"),
    Fact(r"\bm( for |=)metadata"),
    lit(
        'Timeline (3 tracks): 1. Video: city timelapse (0-10s) 2. BGM: Lo-fi (0-10s, 35%) 3. Title: "Urban Dreams" (0-3s)'
    ),
    # Errors and their actions
    Fact(r"\b0\W*success\W*continue"),
    Fact(
        r"1001\W*(bad/expired token|token expired or invalid)\W*(re-auth|re-acquire) via (/api/auth/)?anonymous-token",
        r"1001\b.{0,40}\W*bad/expired token\W*re-auth via anonymous-token",
    ),
    Fact(
        r"1002\W*session not found\W*(new session|create a new one)",
        r"1002\W*session not found\W*create a new session",
    ),
    Fact(r"2001\W*(no credits|out of credits)", r"2001\W*no credits"),
    Fact(r"registration (URL|link) with \?bind=<id>", re.escape("registration URL with ?bind=<id>")),
    Fact(
        r"(Top up credits in your account|registered users top up)",
        re.escape("Top up credits in your account"),
    ),
    Fact(
        r"4001\W*unsupported file( type)?\W*show (supported|accepted) formats",
        r"4001\W*unsupported file\W*show supported formats",
    ),
    Fact(
        r"4002\W*file too large\W*suggest compress(ing)?( or |/)trim",
        r"4002\W*file too large\W*suggest compress/trim",
    ),
    Fact(r"\b400\W*missing X-Client-Id\W*generate (a )?(Client-Id|one)\b.{0,30}retry"),
    Fact(r"\b402\W*free plan export blocked"),
    Fact(r"(NOT credits|not a credit issue)", r"NOT credits"),
    Fact(r"subscription tier"),
    Fact(r"\b429\W*rate limit"),
    Fact(r"(retry in 30s once|wait 30s and retry once)"),
    # Tips and workflows
    lit('The backend processes faster when you\'re specific. Instead of "make it look better", try "'),
    lit("concrete instructions get better results"),
    lit("for the smoothest experience"),
    lit(
        "Batch style: Upload multiple files in one session. Process them one by one with different instructions. "
        "Each gets its own render."
    ),
    lit(
        "Iterative: Start with a rough cut, preview the result, then refine. The session keeps your timeline state "
        "so you can keep tweaking."
    ),
)

# The intent table: keywords that skip the chat, and the action each row names.
INTENTS = (
    (("export", "导出", "download", "send me the video"), "Export"),
    (("credits", "积分", "balance", "余额"), "Credits"),
    (("status", "状态", "show tracks"), "State"),
    (("upload", "上传", "user sends file"), "Upload"),
)


def per_seed(
    *,
    name: str,
    title: str,
    tagline: str,
    examples: tuple[str, ...],
    status: str,
    session_body: str,
    example_input: str,
    example_request: str,
    turnaround: str,
    tip: str,
    max_mb: int,
    formats: str,
    export_tip: str,
) -> list[Fact]:
    """Facts that every seed states in its own words and values."""
    return [
        lit(f"{title} — {tagline}"),
        # An example the seed cut off may be completed in the generated text, never shortened.
        *[Fact(re.escape(f'"{example}')) for example in examples],
        lit(f'"{status}"'),
        lit(session_body),
        lit("X-Skill-Source"),
        Fact(rf"X-Skill-Source\W*(is )?{re.escape(name)}"),
        lit(example_input),
        lit(example_request),
        lit(turnaround),
        lit(tip),
        Fact(
            rf"User prompts referencing {re.escape(name.replace('-', ' '))}, aspect ratio, text overlays, or audio tracks"
        ),
        lit(f"Max file size is {max_mb}MB."),
        lit(f"Stick to {formats} for the smoothest experience."),
        lit(export_tip),
        lit(
            f'Quick edit: Upload → "{example_request}" → Download MP4. Takes {turnaround} for a 30-second clip.'
        ),
        lit(f'try "{example_request}" — concrete instructions get better results.'),
    ]


FACTS: dict[str, list[Fact]] = {
    "nemo-video-gen": [
        *COMMON,
        *per_seed(
            name="nemo-video-gen",
            title="Nemo Video Gen",
            tagline="Generate Videos from Text Prompts",
            examples=(
                "generate my text prompts or clips",
                "export 1080p MP4",
                "generate a 15-second video of a",
            ),
            status="Connecting...",
            session_body='{"task_name":"project","language":"en"}',
            example_input="a 10-word text prompt describing a product scene",
            example_request="generate a 15-second video of a sunset beach from a text description",
            turnaround="1-3 minutes",
            tip="shorter and more specific prompts produce more accurate video results",
            max_mb=200,
            formats="MP4, MOV, PNG, JPG",
            export_tip="Export as MP4 for widest compatibility across social platforms.",
        ),
        lit(
            "Get AI generated videos ready to post, without touching a single slider. Upload your text prompts or "
            "clips (MP4, MOV, PNG, JPG, up to 200MB)"
        ),
        lit("Share your text prompts or clips"),
        # The ClawHub listing: version, license, emoji and primary env (the generated frontmatter).
        Fact(r"v1\.0\.0", r"version: 1\.0\.0"),
        lit("MIT-0"),
        Fact(r"🎬 Clawdis", r"emoji: 🎬"),
        Fact(r"Primary env\s*NEMO_TOKEN", r"primary-?env: NEMO_TOKEN"),
        Fact(
            r"Drop your text prompts or clips in the chat and tell me what you need",
            r"Share your text prompts or clips in the chat and tell me what you need",
        ),
        lit("I'll handle the AI video generation on cloud GPUs — you don't need anything installed locally"),
        Fact(r"about 1-3 minutes later you've got an? MP4 file ready to download"),
        lit("The whole thing runs at 1080p by default"),
        Fact(r"Keep the technical details out of the chat"),
        lit("Tell the user you're ready"),
        Fact(
            r"\(draft, video_infos, generated_media\)",
            r"data\.state\.draft, data\.state\.video_infos, "
            r"data\.state\.generated_media",
        ),
        Fact(
            r"Body includes app_name, session_id, new_message",
            r'"app_name":"nemo_agent".{0,40}"session_id":"<sid>",'
            r'"new_message"',
        ),
        lit(
            '{"id":"render_<ts>","sessionId":"<sid>","draft":<json>,"output":{"format":"mp4","quality":"high"}}'
        ),
        Fact(r"tokens expire after 7 days"),
        Fact(r"get <id> from (the )?create-session or state response when needed"),
        lit("Register or upgrade your plan to unlock export."),
        lit("1 token/client/7 days"),
        Fact(
            r"Heartbeats and empty data: lines mean the backend is still working",
            r"heartbeat / empty data: line",
        ),
        Fact(
            r"Text events go straight to the user \(after GUI translation\)",
            r"Text response \| Apply GUI translation \(below\), present to user",
        ),
    ],
    "generator-by-link": [
        *COMMON,
        *per_seed(
            name="generator-by-link",
            title="Generator by Link",
            tagline="Create Videos from URLs",
            examples=(
                "generate a YouTube or webpage URL into a 1080p MP4",
                "generate a video from this article link: https://example.com/blog-post",
                "creating videos from web links or online content for marketers, content creators, bloggers",
            ),
            status="Connecting...",
            session_body='{"task_name":"project","language":"en"}',
            example_input="a YouTube or webpage URL",
            example_request="generate a video from this article link: https://example.com/blog-post",
            turnaround="1-2 minutes",
            tip="shorter articles or concise web pages produce more focused videos",
            max_mb=500,
            formats="MP4, MOV, WebM, AVI",
            export_tip="Export as MP4 for widest compatibility.",
        ),
        Fact(r"Got URL or link to work with\?", re.escape("Share your URL or link")),
        Fact(r"runs AI video generation through a cloud rendering pipeline", r"cloud rendering pipeline"),
        lit("You upload, describe what you want, and download the result"),
        Fact(r"in about 1-2 minutes and hands you a 1080p MP4", r"about 1-2 minutes later you've got an MP4"),
        Fact(r"Keep the technical details out of the chat"),
        lit("returns task_id, session_id"),
        Fact(
            r'\{"app_name":"nemo_agent","user_id":"me","session_id":"<sid>","new_message":\{"parts":\[\{"text":"<msg>"\}\]\}\}',
            r'\{"app_name":"nemo_agent","user_id":"me","session_id":"<sid>","new_message":\{("role":"user",)?'
            r'"parts":\[\{"text":"<msg>"\}\]\}\}',
        ),
        lit('-F "files=@/path"'),
        lit('{"urls":["<url>"],"source_type":"url"}'),
        lit("data.state.draft, data.state.video_infos, data.state.generated_media"),
        lit("Export (free, no credits)"),
        lit(
            '{"id":"render_<ts>","sessionId":"<sid>","draft":<json>,"output":{"format":"mp4","quality":"high"}}'
        ),
        endpoint("GET", "/api/render/proxy/lambda/<id>"),
        lit("until status = completed"),
        lit("Download URL at output.url"),
        Fact(r"Text response\W*Apply GUI translation"),
        Fact(r"Stream closes\W*Process final response"),
        Fact(
            r"re-acquire via /api/auth/anonymous-token",
            re.escape("Re-auth via anonymous-token (POST /api/auth/anonymous-token"),
        ),
        Fact(r"for marketers, content creators, bloggers"),
    ],
    "ai-video-maker-sora": [
        *COMMON,
        *per_seed(
            name="ai-video-maker-sora",
            title="AI Video Maker Sora",
            tagline="Generate Videos from Text Prompts",
            examples=(
                "generate a short text description of a scene into a 1080p MP4",
                "generate a 10-second video of a sunset over a city skyline",
                "generating videos from text prompts using Sora-style AI for content creators",
            ),
            status="Setting things up...",
            session_body='{"task_name":"project"}',
            example_input="a short text description of a scene",
            example_request="generate a 10-second video of a sunset over a city skyline",
            turnaround="1-3 minutes",
            tip="shorter, more specific prompts tend to produce more accurate video results",
            max_mb=200,
            formats="TXT, DOCX, PDF, PNG",
            export_tip="Export as MP4 for widest compatibility.",
        ),
        Fact(r"Got text prompts to work with\?", re.escape("Share your text prompts")),
        Fact(
            r"Drop your text prompts in the chat and tell me what you need",
            r"Share your text prompts in the chat and tell me what you need",
        ),
        lit("on cloud GPUs — you don't need anything installed locally"),
        Fact(r"about 1-3 minutes later you've got an? MP4 file ready to download"),
        lit("The whole thing runs at 1080p by default"),
        lit("data.token"),
        Fact(r"Don't print tokens or raw JSON", r"don't print tokens, raw JSON"),
        lit("returns task_id, session_id"),
        lit('-F "files=@/path"'),
        lit('{"urls":["<url>"],"source_type":"url"}'),
        lit("data.state.draft, data.state.video_infos, data.state.generated_media"),
        lit("Export (free, no credits)"),
        lit(
            '{"id":"render_<ts>","sessionId":"<sid>","draft":<json>,"output":{"format":"mp4","quality":"high"}}'
        ),
        endpoint("GET", "/api/render/proxy/lambda/<id>"),
        lit("until status = completed"),
        lit("Download URL at output.url"),
        Fact(r"X-Skill-Version\W*frontmatter version"),
        Fact(r"Text response\W*Apply GUI translation"),
        Fact(r"Stream closes\W*Process final response"),
        Fact(r"Sora-style AI"),
    ],
    "free-generator-editor": [
        *COMMON,
        *per_seed(
            name="free-generator-editor",
            title="Free Generator Editor",
            tagline="Generate and Edit Videos Free",
            examples=(
                "generate my video clips or images",
                "export 1080p MP4",
                "generate a video from my images",
            ),
            status="Setting up...",
            session_body='{"task_name":"project","language":"<detected>"}',
            example_input="a 60-second raw screen recording or a set of product images",
            example_request="generate a video from my images and edit it with transitions and music",
            turnaround="30-90 seconds",
            tip="shorter input clips and fewer images generate faster results",
            max_mb=500,
            formats="MP4, MOV, JPG, PNG",
            export_tip="Export as MP4 for widest compatibility across all platforms.",
        ),
        lit("Share your video clips or images"),
        lit("AI video generation editing"),
        Fact(
            r"Drop your video clips or images in the chat and tell me what you need",
            r"Share your video clips or images in the chat and tell me what you need",
        ),
        lit("on cloud GPUs — you don't need anything installed locally"),
        Fact(r"about 30-90 seconds later you've got an? MP4 file ready to download"),
        lit("The whole thing runs at 1080p by default"),
        lit("data.token"),
        lit("Content-Type: application/json"),
        Fact(
            r"Don't display raw API responses or token values",
            r"don't print tokens, raw JSON or raw API responses",
        ),
        lit("new_message.parts[0].text"),
        Fact(r"multipart file or JSON with URLs", r"multipart .{0,80} or URLs \(JSON"),
        Fact(
            r"current draft and media info",
            r"data\.state\.draft, data\.state\.video_infos, data\.state\.generated_media",
        ),
        Fact(r"with render ID and draft JSON", r'"id":"render_<ts>".{0,30}"draft":<json>'),
        endpoint("GET", "/api/render/proxy/lambda/<id>"),
        Fact(r"for completed status and download URL", r"until status = completed.{0,20}Download URL"),
        Fact(r"Text response\W*Apply GUI translation"),
        Fact(r"Stream closes\W*Process final response"),
        Fact(r"tokens expire after 7 days"),
        Fact(r"get <id> from (the )?create-session or state response when needed"),
        lit("Register or upgrade your plan to unlock export."),
        lit("1 token/client/7 days"),
    ],
    "video-leonardo": [
        *COMMON,
        *per_seed(
            name="video-leonardo",
            title="Video Leonardo",
            tagline="Generate Videos from Images",
            examples=(
                "generate a product photo or text description into a 1080p MP4",
                "turn this image into a 5-second animated video clip",
                "generating short video clips from images or text prompts for content creators, marketers, "
                "social media managers",
            ),
            status="Connecting...",
            session_body='{"task_name":"project","language":"en"}',
            example_input="a product photo or text description",
            example_request="turn this image into a 5-second animated video clip",
            turnaround="30-90 seconds",
            tip="simpler prompts with clear motion instructions produce more consistent results",
            max_mb=200,
            formats="JPG, PNG, WEBP, MP4",
            export_tip="Export as MP4 for widest compatibility across social platforms.",
        ),
        Fact(r"Send me your images or prompts", re.escape("Share your images or prompts")),
        lit("remote GPU nodes"),
        Fact(r"nothing to install on your machine", r"you don't need anything installed locally"),
        lit("All rendering happens server-side"),
        Fact(
            r"you'll get a 1080p MP4 back in roughly 30-90 seconds",
            r"about 30-90 seconds later you've got an MP4",
        ),
        Fact(r"Keep the technical details out of the chat"),
        Fact(
            r"\(draft, video_infos, generated_media\)",
            r"data\.state\.draft, data\.state\.video_infos, "
            r"data\.state\.generated_media",
        ),
        Fact(
            r"Body includes app_name, session_id, new_message",
            r'"app_name":"nemo_agent".{0,40}"session_id":"<sid>",'
            r'"new_message"',
        ),
        lit(
            '{"id":"render_<ts>","sessionId":"<sid>","draft":<json>,"output":{"format":"mp4","quality":"high"}}'
        ),
        Fact(r"X-Skill-Version\W*frontmatter version"),
        Fact(r"Text response\W*Apply GUI translation"),
        Fact(r"Stream closes\W*Process final response"),
        Fact(r"tokens expire after 7 days"),
        Fact(r"get <id> from (the )?create-session or state response when needed"),
        lit("Register or upgrade your plan to unlock export."),
        lit("1 token/client/7 days"),
        Fact(r"for content creators, marketers, social media managers"),
    ],
}


def normalise(text: str) -> str:
    """Markdown emphasis and code marks dropped, whitespace collapsed."""
    text = text.replace("`", "").replace("**", "")
    return re.sub(r"\s+", " ", text).strip()


def _seed(name: str) -> str:
    return normalise((SEEDS / f"{name}.txt").read_text(encoding="utf-8"))


def _generated(name: str, fmt: Format = Format.CLAWHUB) -> str:
    return render_skill_md(get_catalog().get(name), format=fmt, mode=Mode.API)


def _missing(patterns: list[str], text: str) -> list[str]:
    return [p for p in patterns if not re.search(p, text, re.IGNORECASE)]


@pytest.mark.parametrize("name", sorted(FACTS))
def test_every_listed_fact_is_stated_by_its_seed(name: str) -> None:
    assert _missing([f.seed for f in FACTS[name]], _seed(name)) == []


@pytest.mark.parametrize("fmt", list(Format))
@pytest.mark.parametrize("name", sorted(FACTS))
def test_generated_file_states_every_fact_of_its_seed(name: str, fmt: Format) -> None:
    assert _missing([f.generated for f in FACTS[name]], normalise(_generated(name, fmt))) == []


@pytest.mark.parametrize("name", sorted(FACTS))
def test_intent_table_rows_keep_the_seeds_keywords_and_skip_the_chat(name: str) -> None:
    seed = _seed(name)
    lines = _generated(name).splitlines()
    for keywords, action in INTENTS:
        assert all(f'"{k}"' in seed or k in seed for k in keywords)
        row = next(line for line in lines if line.startswith("|") and f"→ {action}" in line)
        assert all(k in row for k in keywords), (action, row)
        assert row.rstrip().endswith("✅ |")
    chat = next(line for line in lines if line.startswith("| Everything else"))
    assert chat.rstrip().endswith("❌ |")


def test_the_five_seeds_are_all_covered() -> None:
    assert sorted(FACTS) == sorted(p.stem for p in SEEDS.glob("*.txt"))


def test_sora_documents_are_sent_as_text_not_uploaded() -> None:
    """The seed recommends TXT, DOCX and PDF, which the upload endpoint refuses; the runtime sends their text."""
    text = normalise(_generated("ai-video-maker-sora"))
    assert re.search(
        r"Documents \(TXT, MD, DOCX, PDF\) are not uploaded: the upload endpoint does not accept them", text
    )
    assert "TXT, DOCX, PDF are documents: send their text in the chat rather than uploading them" in text
    assert "upload only PNG" in text


def test_sora_creates_its_session_without_a_language() -> None:
    text = _generated("ai-video-maker-sora")
    assert '"language"' not in text
    assert '{"task_name":"project"}' in text


def test_402_is_explained_as_what_the_runtime_sees() -> None:
    """Seeds blame 402 on missing headers and on the plan tier; headers are always sent, so it means the tier."""
    for name in FACTS:
        text = normalise(_generated(name))
        assert re.search(
            r"402\W*Free plan export blocked\W*Subscription tier issue, NOT credits\. Missing attribution headers "
            r"also make export fail with 402, but you send them on every request, so a 402 means the plan tier: "
            r'"Register or upgrade your plan to unlock export\."',
            text,
        ), name


def test_seeds_without_documents_do_not_mention_document_handling() -> None:
    for name in ("nemo-video-gen", "generator-by-link", "free-generator-editor", "video-leonardo"):
        assert "are not uploaded" not in _generated(name)
