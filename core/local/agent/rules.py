"""The rule-based agent's reading of a request: which edits a plain sentence asks for.

No generative model is involved: keyword rules and regular expressions turn
"a 15-second vertical video of a beach with the title 'Summer'" into a list of
`Edit`s that `edits.py` applies to the draft.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from nemo_skills import protocol
from nemo_skills.draft import Draft
from nemo_skills.files.links import LINK_IN_TEXT
from nemo_skills.intents import Intent, classify
from nemo_skills.local.agent.edit_table import Edit, TurnPlan
from nemo_skills.local.agent.edits import DEFAULT_SCENE_SECONDS, MAX_SCENE_SECONDS, MOTIONS
from nemo_skills.local.records import BackendSession, MediaRecord
from nemo_skills.protocol import TrackType

_NUM = r"(\d+(?:\.\d+)?)"
_SECONDS = re.compile(_NUM + r"\s*(?:-|\s)?\s*(seconds?|secs?|s|minutes?|mins?|秒|分钟)(?![a-z])", re.I)
_ASPECTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b9\s*[:x/]\s*16\b|\bvertical\b|\bportrait\b|\btiktok\b|\breels?\b|竖屏", re.I), "9:16"),
    (re.compile(r"\b16\s*[:x/]\s*9\b|\bhorizontal\b|\blandscape\b|\bwidescreen\b|横屏", re.I), "16:9"),
    (re.compile(r"\b1\s*[:x/]\s*1\b|\bsquare\b|方形", re.I), "1:1"),
)
_QUOTED = re.compile(r"[\"“”«»]([^\"“”«»]+)[\"“”«»]|(?<![A-Za-z])'([^']+)'(?![A-Za-z])")
_URL = LINK_IN_TEXT
_VOLUME = re.compile(r"(?:at|volume(?: of| to| at)?)\s*" + _NUM + r"\s*(%|percent)?", re.I)
_EACH = re.compile(_NUM + r"\s*(?:-|\s)?\s*(?:seconds?|secs?|s)\s*(?:each|per (?:slide|image|photo))", re.I)
_BETWEEN = re.compile(r"from\s*" + _NUM + r"\s*s?\w*\s*(?:to|-|until)\s*" + _NUM, re.I)
_AT = re.compile(r"\bat\s*" + _NUM + r"\s*(?:s\b|sec|second)", re.I)
_FOR = re.compile(r"\bfor\s*" + _NUM + r"\s*(?:s\b|sec|second)", re.I)

_REMOVE = re.compile(r"\b(remove|delete|drop|get rid of|take out|删除|去掉)\b", re.I)
_TRIM_FIRST = re.compile(r"\b(?:trim|cut|remove|drop)\s+(?:off\s+)?the\s+first\s+" + _NUM, re.I)
_TRIM = re.compile(r"\b(trim|cut|shorten|剪)", re.I)
_DURATION = re.compile(
    r"\b(duration|make it|set (?:it|the video) to|change (?:it|the length) to|long(?:er)?|length|时长)\b",
    re.I,
)
_TEXT = re.compile(r"\b(title|text|caption|overlay|subtitle|heading|标题|字幕)\b", re.I)
_MUSIC = re.compile(r"\b(music|bgm|soundtrack|song|audio|背景音乐|音乐)\b", re.I)
_IMAGES = re.compile(r"\b(slides?|slideshow|images?|photos?|pictures?|animate|图片|照片)\b", re.I)
_CLIPS = re.compile(
    r"\b(clips?|videos?|footage|segments?|concatenate|combine|join|merge|edit these|片段)\b", re.I
)
_ANIMATE = re.compile(
    r"\b(animate[ds]?|animating|animation|motion|moving|ken burns|zoom(?:s|ing)?|pan(?:s|ning)?)\b|动画|动起来|动态",
    re.I,
)
_TRANSITIONS = re.compile(
    r"\b(transitions?|crossfades?|cross-fades?|dissolves?|fades? between)\b|转场|过渡", re.I
)
_NO_TRANSITIONS = re.compile(r"\b(?:no|without|remove|drop)\s+(?:the\s+)?transitions?\b|\bhard cuts?\b", re.I)
# Words that pick a still's motion; the first found wins, in the order written here.
_MOTION_WORDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bzoom(?:s|ing)?\s+out\b|\bpull(?:s|ing)?\s+back\b|拉远", re.I), "zoom_out"),
    (re.compile(r"\bzoom(?:s|ing)?\b|\bpush(?:es|ing)?\s+in\b|推近|放大", re.I), "zoom_in"),
    (re.compile(r"\bleft(?:wards?)?\b|向左", re.I), "pan_left"),
    (re.compile(r"\bright(?:wards?)?\b|向右", re.I), "pan_right"),
    (re.compile(r"\b(?:up|upwards?|rise|rising|tilt up)\b|向上", re.I), "pan_up"),
    (re.compile(r"\b(?:down|downwards?|fall|falling|tilt down)\b|向下", re.I), "pan_down"),
)
_ASPECT_WORDS = re.compile(r"\b(aspect|ratio|vertical|horizontal|portrait|landscape|square|比例)\b", re.I)
_GENERATE = re.compile(r"\b(generate|create|make|produce|render|animate|生成|制作)\b", re.I)
_VIDEO_OF = re.compile(r"\b(video|clip|scene|film)\s+(of|about|showing)\b", re.I)
_QUESTION = re.compile(r"^\s*(hi|hello|hey|help|what|how|who|can you|你好)\b|\?\s*$", re.I)
_LEADING_FILLER = re.compile(
    r"^(?:please\s+)?(?:(?:generate|create|make|produce|render)\s+(?:me\s+)?)?"
    r"(?:(?:a|an|the|one)\s+)?(?:(?:short|quick|new)\s+)?"
    r"(?:(?:video|clip|scene|film|movie|animation)\b\s*(?:(?:of|about|showing|with|for|from)\b\s*)?)?",
    re.I,
)
_TRAILING_WORD = re.compile(r"\s+(?:in|at|to|into|as|with|for|on)$", re.I)
_TRIVIAL_SUBJECT = re.compile(
    r"(?:(?:convert|change|switch|turn|set|make|resize|reformat)\s+)?(?:it|this|that|everything|all|(?:the )?(?:whole )?(?:video|clip|timeline|project))"
    r"(?: (?:to|into|as|in))?",
    re.I,
)
_REMOVE_TARGETS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(music|bgm|audio|soundtrack|song|音乐)\b", re.I), "audio"),
    (re.compile(r"\b(title|text|caption|overlay|subtitle|标题|字幕)s?\b", re.I), "text"),
    (re.compile(r"\b(video|scene|clips?|slides?|images?|footage|画面)\b", re.I), "video"),
)


def seconds_in(text: str) -> float | None:
    """The first duration a text names ('15-second', '10 s', '2 minutes'), in seconds."""
    match = _SECONDS.search(text)
    if not match:
        return None
    value, unit = float(match.group(1)), match.group(2).lower()
    return value * 60 if unit.startswith(("min", "分")) else value


def aspect_in(text: str) -> str | None:
    """The aspect ratio a text asks for ('9:16', 'vertical', 'square'), if any."""
    for pattern, ratio in _ASPECTS:
        if pattern.search(text):
            return ratio
    return None


def quoted_text(text: str) -> str | None:
    """The first quoted phrase in a text."""
    match = _QUOTED.search(text)
    if not match:
        return None
    return (match.group(1) or match.group(2) or "").strip() or None


def volume_in(text: str) -> float | None:
    """A volume as a fraction: 'at 35%', 'volume 0.5', 'volume 50'."""
    match = _VOLUME.search(text)
    if not match:
        return None
    value = float(match.group(1))
    if match.group(2) or value > 1:
        value /= 100
    return max(0.0, min(value, 2.0))


def motion_in(text: str) -> str:
    """The slow move a request asks of a still ('zoom out', 'pan left'); unnamed, its words pick one."""
    for pattern, motion in _MOTION_WORDS:
        if pattern.search(text):
            return motion
    # The same words always get the same move, and different requests get different ones.
    return MOTIONS[sum(text.encode("utf-8")) % len(MOTIONS)]


def scene_prompt(text: str) -> str:
    """The subject of a generation request, without the verbs, durations and ratios around it."""
    first = text.splitlines()[0] if text.strip() else ""
    subject = _URL.sub("", first)
    # "…from this document/link" names nothing: caption the document's opening line, or the link.
    if re.search(r"\bthis (document|link)\b", subject, re.I):
        document = protocol.read_document_block(text)
        opening = (
            next((line.strip() for line in document[1].splitlines() if line.strip()), "") if document else ""
        )
        link = _URL.search(first)
        if opening:
            subject = re.split(r"(?<=[.!?])\s", opening, maxsplit=1)[0]
        elif link:
            subject = re.sub(r"^https?://(www\.)?", "", link.group(0)).rstrip("/")
    subject = _SECONDS.sub("", subject)
    for pattern, _ratio in _ASPECTS:
        subject = pattern.sub("", subject)
    subject = re.sub(r"\s+", " ", subject).strip(" ,.;:-，。；：、")
    subject = _LEADING_FILLER.sub("", subject).strip(" ,.;:-")
    subject = re.sub(r"^(?:(?:a|an)\s+)?(?:video|clip|scene)\s+(?:of|about)\s+", "", subject, flags=re.I)
    subject = _TRAILING_WORD.sub("", subject).strip(" ,.;:-")
    return subject[:200] or "an abstract scene"


def _text_edit(text: str, title_default: bool) -> Edit | None:
    words = quoted_text(text)
    if words is None:
        match = re.search(
            r"\b(?:title|text|caption|subtitle|heading)\b\s*(?:saying|that says|:)?\s*(.+)$", text, re.I
        )
        words = match.group(1).strip(" .\"'") if match else None
    if not words:
        return None
    is_title = bool(re.search(r"\btitle|heading|标题", text, re.I)) or (
        title_default and not re.search(r"\b(text|overlay|caption|subtitle)\b|字幕", text, re.I)
    )
    args: dict[str, Any] = {"text": words[:120], "kind": "title" if is_title else "overlay"}
    between = _BETWEEN.search(text)
    if between:
        start, end = float(between.group(1)), float(between.group(2))
        args["start"], args["duration"] = start, max(0.5, end - start)
    else:
        at, for_ = _AT.search(text), _FOR.search(text)
        if at:
            args["start"] = float(at.group(1))
        if for_:
            args["duration"] = float(for_.group(1))
    return Edit(tool="add_text", args=args)


def _named_files(names: list[str], session: BackendSession) -> list[MediaRecord]:
    found: list[MediaRecord] = []
    for name in names:
        item = session.find_media(name)
        if item is not None and item not in found:
            found.append(item)
    return found


def _has_visuals(session: BackendSession) -> bool:
    """Whether the session's draft already has a video track with something on it."""
    draft = Draft.parse(session.draft)
    return any(t.type == TrackType.VIDEO and t.segments for t in draft.tracks)


def plan_turn(text: str, session: BackendSession) -> TurnPlan:
    """Read a request against the session's uploads and say which edits it asks for."""
    plan = TurnPlan()
    # A document's text is material for the scene, not instructions: its words must not steer the edits.
    text, block = protocol.split_document_block(text)
    document = "\n\n" + block if block else ""
    lower = text.lower()
    without_files, names = protocol.read_files_line(text)
    named = _named_files(names, session)
    first_line = without_files.strip()
    aspect = aspect_in(first_line)
    seconds = seconds_in(first_line)
    plan.note = _api_request_note(first_line, session)
    if plan.note is not None:
        return plan

    if _REMOVE.search(first_line):
        for pattern, track in _REMOVE_TARGETS:
            if pattern.search(first_line):
                plan.edits.append(Edit(tool="remove_track", args={"track": track}))
                return plan

    images = [m for m in named if m.kind == "image"]
    clips = [m for m in named if m.kind == "video"]
    audio = [m for m in named if m.kind == "audio"]
    links = _URL.findall(text) or [m.url for m in named if m.kind == "link" and m.url]
    if not named and _IMAGES.search(first_line) and not _images_are_subject(first_line):
        images = [m for m in session.media if m.kind == "image"]
    if not named and _CLIPS.search(first_line) and re.search(r"\b(use|add|uploaded|these|my)\b", lower):
        clips = [m for m in session.media if m.kind == "video"]

    if images:
        each = _EACH.search(first_line)
        args: dict[str, Any] = {"media": [m.id for m in images]}
        if each:
            args["seconds_each"] = float(each.group(1))
        elif seconds and not clips:
            args["total_seconds"] = seconds
        if _ANIMATE.search(first_line):
            args["motion"] = motion_in(first_line)
        plan.edits.append(Edit(tool="add_slides", args=args))
    if clips:
        plan.edits.append(Edit(tool="add_clips", args={"media": [m.id for m in clips]}))
    if links and not images and not clips:
        host = _host_of(links[0])
        prompt = scene_prompt(first_line.replace(links[0], "")) if _has_subject(first_line, links[0]) else ""
        args = {"prompt": prompt or f"highlights from {host}", "seconds": seconds or DEFAULT_SCENE_SECONDS}
        args["source_url"] = links[0]
        if aspect:
            args["aspect"] = aspect
        plan.edits.append(Edit(tool="generate_scene", args=args))

    media_edit = bool(plan.edits)
    wants_text = bool(_TEXT.search(first_line)) and bool(
        re.search(r"\b(add|put|insert|with|show|overlay|title)\b|标题|字幕", first_line, re.I)
    )
    wants_music = bool(_MUSIC.search(first_line)) or bool(audio)
    trim_first = _TRIM_FIRST.search(first_line)
    wants_trim = bool(_TRIM.search(first_line)) and (seconds is not None or trim_first is not None)
    wants_duration = (
        not wants_trim and seconds is not None and bool(_DURATION.search(first_line)) and not media_edit
    )
    subject = scene_prompt(first_line + document)
    trivial = bool(_TRIVIAL_SUBJECT.fullmatch(subject))
    wants_aspect = aspect is not None

    # On an empty timeline, "a 12-second aurora with the title 'North'" asks for a scene under the title.
    beside_title = _QUOTED.sub("", first_line).split(" with ")[0]
    scene_beside_title = (
        wants_text
        and not _has_visuals(session)
        and not _TEXT.search(beside_title)
        and not _TRIVIAL_SUBJECT.fullmatch(scene_prompt(beside_title))
    )
    generate = (
        not media_edit
        and not (wants_trim or wants_duration or wants_music)
        and (
            bool(_GENERATE.search(first_line))
            or not wants_text
            or bool(_VIDEO_OF.search(first_line))
            or scene_beside_title
        )
    )
    if re.search(r"\b(aspect|ratio)\b|比例", first_line, re.I):
        generate = False
    wants_transitions = bool(_TRANSITIONS.search(first_line))
    if wants_transitions and (_has_visuals(session) or not _VIDEO_OF.search(first_line)):
        generate = False
    if generate and _QUESTION.search(first_line) and not _GENERATE.search(first_line):
        generate = False
    if generate and not trivial and len(re.findall(r"\w+", first_line)) >= 1:
        args = {"prompt": subject, "seconds": min(seconds or DEFAULT_SCENE_SECONDS, MAX_SCENE_SECONDS)}
        if aspect:
            args["aspect"] = aspect
        if wants_text:
            args["prompt"] = scene_prompt(_QUOTED.sub("", first_line).split(" with ")[0])
        plan.edits.append(Edit(tool="generate_scene", args=args))
        media_edit = True

    if wants_transitions:
        on = not _NO_TRANSITIONS.search(first_line)
        plan.edits.append(Edit(tool="set_transitions", args={"on": on}))
    if wants_aspect and not any(e.args.get("aspect") for e in plan.edits):
        plan.edits.append(Edit(tool="set_aspect_ratio", args={"aspect": aspect}))
    if wants_trim:
        if trim_first:
            plan.edits.append(Edit(tool="trim", args={"cut_start": float(trim_first.group(1))}))
        else:
            plan.edits.append(Edit(tool="trim", args={"to": seconds}))
    elif wants_duration:
        plan.edits.append(Edit(tool="set_duration", args={"seconds": seconds}))
    if wants_text:
        edit = _text_edit(first_line, title_default=not _AT.search(first_line))
        if edit is not None:
            plan.edits.append(edit)
        elif not plan.edits:
            plan.note = 'Tell me the words to show, in quotes: add a title "Summer in Lisbon".'
    if wants_music:
        audio_file = audio[0] if audio else session.latest("audio")
        if audio_file is None:
            if not plan.edits:
                plan.note = (
                    "I couldn't find an uploaded audio file for the music. Upload an MP3, WAV, M4A or AAC "
                    "file first, then ask again."
                )
        else:
            music: dict[str, Any] = {"media": audio_file.id}
            vol = volume_in(first_line)
            if vol is not None:
                music["volume"] = vol
            plan.edits.append(Edit(tool="add_music", args=music))
    if not plan.edits and plan.note is None:
        plan.note = HELP_TEXT
    return plan


def _api_request_note(request: str, session: BackendSession) -> str | None:
    """The GUI-style answer to "export", "status" or "credits" typed into the chat (no edit is made)."""
    if _GENERATE.search(request) or _VIDEO_OF.search(request):
        return None
    intent = classify(request).intent
    if intent is Intent.EXPORT:
        return "Click the Export button to render the timeline as an MP4 (exports cost no credits)."
    if intent is Intent.STATE:
        return "Open the timeline panel to see it. " + Draft.parse(session.draft).summary()
    if intent is Intent.CREDITS:
        return "Open the credits panel of your account to see your balance."
    return None


def _images_are_subject(text: str) -> bool:
    """True for 'generate an image of ...'-style prompts that name images as the subject."""
    return bool(
        re.search(r"\b(of|about|showing)\b.*\b(images?|photos?|pictures?)\b", text, re.I)
    ) and not bool(re.search(r"\b(uploaded|my|these)\b", text, re.I))


def _has_subject(text: str, url: str) -> bool:
    rest = re.sub(r"(?i)generate a video from this link\s*:?", "", text.replace(url, "")).strip(" .:")
    return len(re.findall(r"\w+", rest)) >= 2


HELP_TEXT = (
    "I'm the local rule-based editor (no generative AI). I can: generate a scene from a prompt "
    '("a 10-second vertical video of a beach"), add a title (add title "Summer"), add background music '
    "from an uploaded audio file at a volume, use uploaded images as slides or clips as segments, trim "
    '("trim to 4 seconds"), set the duration, change the aspect ratio ("make it 9:16") or remove a track. '
    "Click the Export button when the timeline looks right."
)


def _host_of(link: str) -> str:
    """The host a link names, for a scene's words: its user and password never reach a reply."""
    try:
        host = urlsplit(link).hostname
    except ValueError:  # an unbalanced '[' read as an IPv6 host
        host = None
    return (host or "the link").removeprefix("www.")
