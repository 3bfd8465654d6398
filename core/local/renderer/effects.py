"""Filter chains that make a render feel made: a tone bed under scenes, motion on stills, crossfades.

Pure text: each function returns part of an ffmpeg filter graph, and nothing is downloaded.
"""

from __future__ import annotations

import hashlib
import itertools

# Soft major and minor triads (Hz) for the bed under generated scenes; a prompt picks one.
_CHORDS = (
    (220.00, 277.18, 329.63),
    (196.00, 246.94, 293.66),
    (174.61, 220.00, 261.63),
    (220.00, 261.63, 329.63),
)
# Loud enough to hear plainly (about -27 dB mean), far below music or speech.
BED_LEVEL = 0.06
MOTIONS = ("zoom_in", "zoom_out", "pan_left", "pan_right", "pan_up", "pan_down")
# How far motion zooms in: 1.0 is the whole frame.
MOTION_ZOOM = 1.2
CROSSFADE_SECONDS = 0.6
TRANSITIONS = ("crossfade", "fade", "dissolve")


def tone_bed(seconds: float, seed: str, sample_rate: int) -> str:
    """An audio source: a slowly swelling chord, faded in and out, `seconds` long."""
    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    f1, f2, f3 = _CHORDS[digest[0] % len(_CHORDS)]
    swell = "(0.75+0.25*sin(2*PI*0.25*t))"

    def voice(detune: float) -> str:
        notes = f"sin(2*PI*{f1 * detune:.2f}*t)+0.8*sin(2*PI*{f2:.2f}*t)+0.6*sin(2*PI*{f3 / detune:.2f}*t)"
        return f"{BED_LEVEL}*({notes})*{swell}"

    # Left and right a hair apart, so the chord sounds wide rather than like a test tone.
    fade = min(0.5, seconds / 4)
    return (
        f"aevalsrc='{voice(1.0)}|{voice(1.003)}':s={sample_rate}:c=stereo:d={seconds:.3f},"
        f"afade=t=in:d={fade:.3f},afade=t=out:st={max(seconds - fade, 0):.3f}:d={fade:.3f}"
    )


def motion_filter(motion: str, width: int, height: int, fps: int, seconds: float) -> str:
    """A zoompan that moves over one still frame for `seconds` (a slow zoom or pan)."""
    frames = max(round(seconds * fps), 1)
    progress = f"min(on/{frames},1)"
    centre_x, centre_y = "iw/2-(iw/zoom/2)", "ih/2-(ih/zoom/2)"
    far_x, far_y = "(iw-iw/zoom)", "(ih-ih/zoom)"
    zoom = f"{MOTION_ZOOM}"
    x, y = centre_x, centre_y
    if motion == "zoom_in":
        zoom = f"1+{MOTION_ZOOM - 1}*{progress}"
    elif motion == "zoom_out":
        zoom = f"{MOTION_ZOOM}-{MOTION_ZOOM - 1}*{progress}"
    elif motion == "pan_right":
        x = f"{far_x}*{progress}"
    elif motion == "pan_left":
        x = f"{far_x}*(1-{progress})"
    elif motion == "pan_down":
        y = f"{far_y}*{progress}"
    else:
        y = f"{far_y}*(1-{progress})"
    # Drawn from a frame twice the output size, so the sub-pixel steps of a slow move do not judder.
    big_w, big_h = width * 2, height * 2
    return (
        f"scale={big_w}:{big_h}:force_original_aspect_ratio=decrease,"
        f"pad={big_w}:{big_h}:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1,"
        f"zoompan=z='{zoom}':x='{x}':y='{y}':d={frames}:s={width}x{height}:fps={fps}"
    )


def crossfades(durations: list[float], fps: int) -> list[float]:
    """Seconds of crossfade at each cut between pieces of these lengths (0.0: a hard cut, too short to blend)."""
    fades = []
    for before, after in itertools.pairwise(durations):
        seconds = min(CROSSFADE_SECONDS, 0.4 * min(before, after))
        fades.append(seconds if seconds >= 3 / fps else 0.0)
    return fades
