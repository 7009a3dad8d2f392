"""Drawing a card into an MP4 with ffmpeg, through Studio's media layer.

One ffmpeg run: a flat colour (or the picture, slowly zoomed and panned, dimmed) with each
line of text drawn by `drawtext` from its own text file (no escaping of what people type),
faded in and out by style, plus a silent stereo track so the card joins clips that have
sound. H.264 + AAC, index first, like a download from a video service; Studio makes the
WebM proxy from it as from any other provider's clip.
"""

from __future__ import annotations

from pathlib import Path

import ffmpeg

from studio.media.ffmpeg import ProgressCallback, compile_command, failure, run_ffmpeg
from studio.media.files import arg_path, atomic_output
from studio_title_cards.cards import CardSpec, Line, layout


def _clip(expr: str) -> str:
    return f"clip({expr},0,1)"


def _fade_in(start: float, length: float) -> str:
    return _clip(f"(t-{start:.3f})/{length:.3f}")


def _fade_out(end: float, length: float) -> str:
    return _clip(f"({end:.3f}-t)/{length:.3f}")


def _text_motion(spec: CardSpec, line: Line) -> tuple[str, str]:
    """(alpha, y) expressions for a line, by style; times shrink with short cards."""
    T = spec.seconds
    k = min(1.0, T / 4)  # a 2 s card animates twice as fast as a 4 s one
    delay = 0.5 * k if line.subtitle else 0.2 * k
    if spec.style == "level":
        rise = 0.35 * k
        alpha = f"min({_fade_in(delay / 2, rise)},{_fade_out(T, rise)})"
        slide = round(spec.height * 0.04)
        y = f"{line.y}+{slide}*(1-{_clip(f't/{rise + delay / 2:.3f}')})"
        return alpha, y
    return _fade_in(delay, 0.8 * k), str(line.y)


def build_command(spec: CardSpec, work: Path, output: str) -> list[str]:
    """The ffmpeg argument list that draws `spec` into `output`; text files go in `work`."""
    W, H, fps, T = spec.width, spec.height, spec.fps, spec.seconds
    frames = max(1, round(T * fps))
    if spec.image:
        # One picture, scaled (once) to twice the frame: zoompan moves in whole pixels, and at
        # double size the steps are too small to see as jitter. zoompan makes every frame
        # of the clip from that one picture (d=frames).
        still = ffmpeg.input(arg_path(spec.image)).video
        video = (
            still.filter("scale", 2 * W, 2 * H, force_original_aspect_ratio="increase")
            .filter("crop", 2 * W, 2 * H)
            .filter(
                "zoompan",
                z=f"1+{spec.zoom}*on/{frames}",
                x=f"(iw-iw/zoom)*on/{frames}",
                y="(ih-ih/zoom)/2",
                d=frames,
                s=f"{W}x{H}",
                fps=fps,
            )
            .filter("format", "yuv420p")
            # Dimmed for the text to stand out: a lookup table in YUV, far cheaper than
            # mixing RGB channels on every frame.
            .filter(
                "lutyuv",
                y=f"val*{spec.dim}",
                u=f"(val-128)*{spec.dim}+128",
                v=f"(val-128)*{spec.dim}+128",
            )
            .filter("setsar", 1)
        )
    else:
        video = ffmpeg.input(
            f"color=c={spec.background}:s={W}x{H}:r={fps}:d={T:.3f}", format="lavfi"
        ).video
    for i, line in enumerate(layout(spec)):
        text_file = work / f"line{i}.txt"
        text_file.write_text(line.text, encoding="utf-8")
        alpha, y = _text_motion(spec, line)
        shadow = max(1, line.size // 24)
        video = video.drawtext(
            fontfile=arg_path(spec.font),
            textfile=arg_path(text_file),
            expansion="none",
            fontsize=line.size,
            fontcolor=spec.text_color,
            x="(w-text_w)/2",
            y=y,
            alpha=alpha,
            shadowcolor="black@0.45",
            shadowx=shadow,
            shadowy=shadow,
        )
    k = min(1.0, T / 4)
    if spec.style == "intro":
        video = video.filter("fade", type="in", start_time=0, duration=round(0.5 * k, 3))
        out = round(0.6 * k, 3)
        video = video.filter("fade", type="out", start_time=round(T - out, 3), duration=out)
    elif spec.style == "outro":
        out = round(min(1.2, T / 3), 3)
        video = video.filter("fade", type="out", start_time=round(T - out, 3), duration=out)
    video = video.filter("format", "yuv420p")
    silence = ffmpeg.input("anullsrc=r=48000:cl=stereo", format="lavfi").audio
    command = ffmpeg.output(
        video,
        silence,
        output,
        format="mp4",
        t=f"{T:.3f}",
        r=fps,
        **{
            "c:v": "libx264",
            "preset": "veryfast",
            "crf": 20,
            "pix_fmt": "yuv420p",
            "g": fps * 2,
            "c:a": "aac",
            "b:a": "96k",
            "movflags": "+faststart",
        },
    )
    return compile_command(command)


async def render(
    spec: CardSpec, dest: Path, work: Path, *, on_progress: ProgressCallback | None = None
) -> Path:
    """Draw `spec` into the MP4 `dest` (whole or not at all). Raises MediaError."""
    with atomic_output(dest) as tmp:
        argv = build_command(spec, work, arg_path(tmp))
        result = await run_ffmpeg(argv, duration=spec.seconds, on_progress=on_progress)
        if not result.ok:
            raise failure("Could not draw the title card", result, dest)
    return dest
