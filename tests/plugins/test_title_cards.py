"""The Title cards plugin: cards from prompts, drawn with the real ffmpeg, through the real
video job queue, and played in the real Preview."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path

import pytest
from studio_title_cards import fonts
from studio_title_cards.cards import CardSpec, build_spec, layout
from studio_title_cards.provider import TitleCardsProvider

from studio.ai.video_provider import VideoError, VideoRequest, make_provider
from studio.media import probe, thumbnail
from studio.media.ffmpeg import ffmpeg_path
from studio.plugins.control import load_host
from studio.testing.clips import make_test_clip

SMALL = "320x180"


def frame_rgb(path: Path, at: float, size: tuple[int, int] = (32, 18)) -> list[tuple[int, ...]]:
    """The frame at `at` seconds, scaled to `size`, as RGB pixels (decoded by ffmpeg)."""
    argv = [ffmpeg_path(), "-v", "error", "-nostdin", "-ss", f"{at}", "-i", str(path)]
    argv += ["-frames:v", "1", "-vf", f"scale={size[0]}:{size[1]}", "-f", "rawvideo"]
    argv += ["-pix_fmt", "rgb24", "-"]
    data = subprocess.run(argv, capture_output=True, check=True).stdout
    return [tuple(data[i : i + 3]) for i in range(0, len(data), 3)]


def brightness(pixels: list[tuple[int, ...]]) -> float:
    return sum(sum(p) for p in pixels) / (3 * len(pixels))


@pytest.fixture
async def provider(tmp_path: Path):
    made = TitleCardsProvider(work_dir=tmp_path / "cards")
    yield made
    await made.aclose()  # stops any ffmpeg still drawing


async def wait_done(provider: TitleCardsProvider, job_id: str, timeout: float = 60):
    async def loop():
        while True:
            status = await provider.poll(job_id)
            if status.done:
                return status
            await asyncio.sleep(0.05)

    return await asyncio.wait_for(loop(), timeout)


# -- what a card shows -------------------------------------------------------------------


def test_the_prompt_gives_title_subtitle_and_options() -> None:
    spec = build_spec(
        "Level 2\nMind the gap!\nbackground: #123\nColour: gold\nfont-size: 40",
        seconds=3,
        size=SMALL,
        style="level",
    )
    assert (spec.title, spec.subtitle) == ("Level 2", ("Mind the gap!",))
    assert (spec.background, spec.text_color, spec.font_size) == ("0x112233", "0xffc300", 40)
    assert (spec.seconds, spec.width, spec.height, spec.style) == (3, 320, 180, "level")
    assert CardSpec.from_json(spec.to_json()) == spec


def test_a_story_clip_prompt_draws_its_title_and_scene_not_style_and_cast() -> None:
    from studio.story.model import parse_story
    from studio.story.prompts import clip_prompt

    story = parse_story(
        b'{"title": "T", "start": "a", "style": "hand-painted, misty", '
        b'"cast": [{"name": "Mara", "description": "a keeper in a yellow coat"}], '
        b'"scenes": [{"id": "a", "title": "The Dark Tower", "text": "Rain.", '
        b'"prompt": "Mara climbs the tower", "ending": true}]}'
    )
    prompt = clip_prompt(story, story.scene("a"))
    assert "Visual style: hand-painted" in prompt and "Cast: Mara" in prompt
    spec = build_spec(prompt, size=SMALL)
    assert (spec.title, spec.subtitle) == ("The Dark Tower", ("Mara climbs the tower",))


def test_options_give_defaults_and_the_prompt_wins() -> None:
    options = {"background": "navy", "text_color": "#fff", "style": "outro", "seconds": 5}
    spec = build_spec("The end\nbackground: black", options=options)
    assert (spec.background, spec.text_color, spec.style) == ("0x000000", "0xffffff", "outro")
    assert spec.seconds == 5 and spec.size == "1280x720"


def test_long_text_wraps_and_shrinks_to_fit() -> None:
    spec = build_spec(
        "Welcome to the castle of the terrible dragon king\nPress any key", size=SMALL
    )
    lines = layout(spec)
    assert len([ln for ln in lines if not ln.subtitle]) in (2, 3)
    assert all(ln.y >= 0 and ln.y + ln.size <= 180 for ln in lines)
    assert all(len(ln.text) * ln.size * 0.64 <= 320 for ln in lines)  # no line overflows
    assert " ".join(ln.text for ln in lines if not ln.subtitle).startswith("Welcome to the")


@pytest.mark.parametrize(
    ("prompt", "kwargs", "message"),
    [
        ("", {}, "The card has no text"),
        ("Hi\nbackground: plaid", {}, "The background 'plaid' is not a colour"),
        ("Hi", {"seconds": 90}, "A title card lasts 1 to 60 seconds, not 90"),
        ("Hi", {"size": "321x180"}, "must be even numbers"),
        ("Hi", {"model": "credits"}, "There is no title card style 'credits'"),
    ],
)
async def test_a_request_it_cannot_draw_is_a_clear_bad_request(
    provider, prompt: str, kwargs: dict, message: str
) -> None:
    with pytest.raises(VideoError, match=message) as e:
        await provider.submit(VideoRequest(prompt, **kwargs))
    assert e.value.kind == "bad_request"


# -- fonts -------------------------------------------------------------------------------


def test_latin_text_uses_the_bundled_font() -> None:
    assert fonts.find_font("Crème brûlée – 100 € ★") == fonts.BUNDLED_FONT
    assert fonts.BUNDLED_FONT.is_file() and fonts.BUNDLED_FONT.stat().st_size < 100_000


def test_other_scripts_use_a_system_font_that_has_them() -> None:
    # Greek is not in the bundled subset; DejaVu from fonts-dejavu-core (.ci) has it.
    found = fonts.find_font("Επίπεδο 2")
    assert found != fonts.BUNDLED_FONT and found.is_file()


def test_a_missing_font_option_is_named(tmp_path: Path) -> None:
    with pytest.raises(fonts.FontError, match="nope.ttf \\(the font option\\) does not exist"):
        fonts.find_font("Hi", tmp_path / "nope.ttf")


def test_no_font_for_the_text_is_a_clear_error(monkeypatch) -> None:
    monkeypatch.setattr(fonts, "fc_match", lambda codes: None)
    monkeypatch.setattr(fonts, "system_fonts", lambda: [])
    monkeypatch.setattr(fonts.shutil, "which", lambda name: None)
    with pytest.raises(fonts.FontError, match="No font on this computer can draw '關卡'"):
        fonts.find_font("關卡 2")


# -- drawing through the job queue -------------------------------------------------------


async def test_a_card_of_the_requested_length_through_the_queue(
    studio_video_jobs, settings, tmp_path: Path
) -> None:
    host = load_host(settings)
    result = await studio_video_jobs.run(
        "title-cards",
        "Level 2\nMind the gap!",
        host=host,
        options={"work_dir": str(tmp_path / "cards")},
        seconds=3,
        size=SMALL,
        model="level",
    )
    assert result.ok, result.job.error
    assert result.job.provider == "title-cards" and result.job.remote_id.startswith("tc_")
    original = await probe(result.path(result.clip.original))
    assert original.duration == pytest.approx(3.0, abs=0.05)
    assert (original.width, original.height, original.fps) == (320, 180, 30)
    assert (original.video_codec, original.audio_codec) == ("h264", "aac")
    proxy = await probe(result.path(result.clip.name))
    assert result.clip.name.endswith(".webm") and proxy.video_codec == "vp9"
    assert proxy.duration == pytest.approx(3.0, abs=0.1)
    assert result.clip.meta["provider"] == "title-cards"
    assert result.clip.thumbnail and result.project.asset(result.clip.thumbnail).size > 0


async def test_styles_fade_as_promised(provider, tmp_path: Path) -> None:
    ids = {}
    for style in ("intro", "level", "outro"):
        request = VideoRequest("Hello\nbackground: white", seconds=2, size=SMALL, model=style)
        ids[style] = await provider.submit(request)
    for style, job_id in ids.items():
        status = await wait_done(provider, job_id)
        assert status.status == "completed", status.error
        await provider.download(job_id, "video", tmp_path / f"{style}.mp4")
    first = {s: brightness(frame_rgb(tmp_path / f"{s}.mp4", 0)) for s in ids}
    last = {s: brightness(frame_rgb(tmp_path / f"{s}.mp4", 1.95)) for s in ids}
    assert first["intro"] < 60  # fades in from black
    assert first["level"] > 200 and last["level"] > 200  # white all through
    assert last["outro"] < 60  # fades out to black


async def test_a_picture_behind_the_text_zooms_and_pans(provider, tmp_path: Path) -> None:
    clip = make_test_clip(tmp_path / "game.mp4", 1, (320, 180), audio=False)
    picture = await thumbnail(clip, 0.5, dest=tmp_path / "shot.png")
    job_id = await provider.submit(
        VideoRequest("Boss fight", seconds=2, size=SMALL, model="level", image=picture)
    )
    assert (await wait_done(provider, job_id)).status == "completed"
    out = await provider.download(job_id, "video", tmp_path / "boss.mp4")
    start, end = frame_rgb(out, 0.1), frame_rgb(out, 1.9)
    changed = sum(a != b for a, b in zip(start, end, strict=True)) / len(start)
    assert changed > 0.3  # the picture moved under the (same) text
    assert 20 < brightness(start) < 200  # a dimmed picture, not a flat colour
    thumb = await provider.download(job_id, "thumbnail", tmp_path / "boss.png")
    assert thumb.read_bytes().startswith(b"\x89PNG")


async def test_progress_is_reported_while_drawing(provider) -> None:
    job_id = await provider.submit(VideoRequest("Slowly", seconds=20, size="1280x720"))
    seen = []
    while True:
        status = await provider.poll(job_id)
        seen.append((status.status, status.progress))
        if status.done:
            break
        await asyncio.sleep(0.02)
    assert seen[-1] == ("completed", 1.0)
    running = [p for s, p in seen if s == "in_progress"]
    assert running and any(0 < p < 1 for p in running)


async def test_cancel_stops_ffmpeg_and_forgets_the_job(provider, tmp_path: Path) -> None:
    job_id = await provider.submit(VideoRequest("Never mind", seconds=30, size="1280x720"))
    await asyncio.sleep(0.3)
    await provider.cancel(job_id)
    assert not (tmp_path / "cards" / job_id).exists()
    with pytest.raises(VideoError, match="unknown here") as e:
        await provider.poll(job_id)
    assert e.value.kind == "not_found"


async def test_a_job_cut_short_by_closing_is_drawn_after_a_restart(tmp_path: Path) -> None:
    first = TitleCardsProvider(work_dir=tmp_path / "cards")
    job_id = await first.submit(VideoRequest("Resume me", seconds=2, size=SMALL))
    await first.aclose()  # Studio closes while the card is being drawn
    again = TitleCardsProvider(work_dir=tmp_path / "cards")  # the next start
    status = await wait_done(again, job_id)
    assert status.status == "completed"
    out = await again.download(job_id, "video", tmp_path / "resumed.mp4")
    assert (await probe(out)).duration == pytest.approx(2.0, abs=0.05)
    await again.aclose()


async def test_remix_keeps_the_card_and_changes_the_text(provider, tmp_path: Path) -> None:
    job_id = await provider.submit(
        VideoRequest("Level 1\nbackground: red", seconds=2, size=SMALL, model="outro")
    )
    await wait_done(provider, job_id)
    remixed = await provider.remix(job_id, "Level 9")
    await wait_done(provider, remixed)
    spec = provider._jobs[remixed].spec
    assert (spec.title, spec.background, spec.style, spec.seconds) == (
        "Level 9",
        "0xe63946",
        "outro",
        2,
    )
    with pytest.raises(VideoError, match="cannot be extended") as e:
        await provider.extend(job_id, "more", 4)
    assert e.value.kind == "unsupported"
    with pytest.raises(VideoError, match="no spritesheet"):
        await provider.download(job_id, "spritesheet", tmp_path / "sheet.jpg")


def test_made_through_the_host_with_settings_options(settings, tmp_path: Path) -> None:
    host = load_host(settings)
    made = make_provider(host, "title-cards", {"work_dir": str(tmp_path), "background": "teal"})
    assert isinstance(made, TitleCardsProvider)
    assert made.capabilities.models == ("intro", "level", "outro")
    assert made.capabilities.image_reference and made.capabilities.remix
    assert made.defaults == {"background": "teal"} and made.work_dir == tmp_path


# -- the clip plays in the Preview -------------------------------------------------------

PLAYER = """<!DOCTYPE html>
<html><body style="margin:0;background:#000">
<video id="card" src="assets/{name}" autoplay muted playsinline></video>
</body></html>
"""


def test_the_card_plays_in_the_preview(preview, studio_video_jobs, settings, tmp_path: Path):
    from studio.core.assets import use_in_game

    host = load_host(settings)
    result = studio_video_jobs.run_sync(
        "title-cards",
        "Game over",
        host=host,
        options={"work_dir": str(tmp_path / "cards")},
        seconds=4,
        size=SMALL,
        model="outro",
    )
    assert result.ok, result.job.error
    project = result.project
    project.commit({"index.html": PLAYER.format(name=result.clip.name)}, parent=None, kind="manual")
    use_in_game(project, result.clip.name)

    preview.open(project)
    assert preview.wait_state("running") == "running"

    def video() -> dict:
        script = (
            "JSON.stringify((v => v && {ready: v.readyState, width: v.videoWidth, "
            "time: v.currentTime, duration: v.duration, error: v.error && v.error.code})"
            "(document.getElementById('card')))"
        )
        return json.loads(preview.js(script) or "null") or {}

    qtbot = preview.qtbot
    qtbot.waitUntil(lambda: video().get("ready", 0) >= 2, timeout=20_000)
    first = video()
    assert first["error"] is None and first["width"] == 320
    assert first["duration"] == pytest.approx(4.0, abs=0.1)
    qtbot.waitUntil(lambda: video()["time"] > first["time"] + 0.5, timeout=20_000)
