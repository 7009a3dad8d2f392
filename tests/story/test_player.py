"""The story player in the real QtWebEngine: a headless playtest walks two paths to two
endings with key presses; the Preview plays the clips, steps back, and lists a broken story's
problems as errors that Fix offers."""

from __future__ import annotations

import json

from studio.sandbox.playtest import PlaytestReport, PlaytestRunner
from studio.story.model import update_scene


def play(qtbot, project, inputs, seconds: float = 5.0) -> PlaytestReport:
    runner = PlaytestRunner(project, None, seconds=seconds, inputs=inputs, viewport=(640, 360))
    with qtbot.waitSignal(runner.finished, timeout=90_000) as done:
        runner.start()
    runner.deleteLater()
    return done.args[0]


def test_playtest_walks_two_paths_by_key_presses_to_two_endings(qtbot, clipped_project):
    endings = {}
    for keys, expected in ((["1", "1"], "lamp"), (["2", "1"], "selkies")):
        inputs = [{"at": 1.2, "key": keys[0]}, {"at": 2.4, "key": keys[1]}]
        report = play(qtbot, clipped_project, inputs)
        assert report.loaded and report.has_state_hook, report.summary()
        assert report.console_errors == [] and report.load_errors == [], report.summary()
        assert report.animated and report.input_changed_state, report.summary()
        first, last = report.state_samples[0], report.state_samples[-1]
        assert first["scene"] == "shore" and first["path"] == ["shore"]
        assert last["scene"] == expected and last["ended"] is True
        assert last["mode"] == "video", "the clip did not play"
        assert last["choices"] == []
        endings[expected] = last["path"]
    assert endings == {"lamp": ["shore", "tower", "lamp"], "selkies": ["shore", "boat", "selkies"]}


def test_preview_plays_clips_steps_back_and_offers_story_problems_to_fix(
    qtbot, preview, clipped_project
):
    project = clipped_project
    preview.open(project)
    state = lambda: preview.js("JSON.stringify(window.studio.state())")  # noqa: E731
    qtbot.waitUntil(lambda: json.loads(state())["scene"] == "shore", timeout=15_000)
    # The clip really plays: time moves on, the video has a picture.
    qtbot.waitUntil(lambda: json.loads(state())["time"] > 0.3, timeout=15_000)
    assert preview.js("document.querySelector('video.on').videoWidth") == 320
    # The next scenes' clips are loading already.
    preloaded = preview.js(
        "JSON.stringify([...document.querySelectorAll('video')].map(v => v.src.split('/').pop()))"
    )
    assert {"tower.webm", "boat.webm"} <= set(json.loads(preloaded))
    preview.js("window.studio.choose(1)")
    assert json.loads(state())["path"] == ["shore", "boat"]
    preview.js("window.studio.back()")
    assert json.loads(state())["path"] == ["shore"]
    assert preview.pane.errors() == []

    # A version whose story is broken: its problems are errors, offered to Fix.
    text = project.read_file(None, "story.json").decode()
    broken = update_scene(text.replace('"next": "selkies"', '"next": "mermaids"'), "boat")
    version = project.commit(
        {**project.files(), "story.json": broken}, parent=project.head, kind="manual"
    )
    preview.session.add_version(version)
    preview.wait_state("running")
    errors = preview.pane.errors()
    assert {e["kind"] for e in errors} == {"story"}
    assert any(
        "'boat': choice 1 ('Follow the singing') leads to 'mermaids'" in e["message"]
        for e in errors
    )
    assert all(e["source"] == "story.json" and e["line"] > 0 for e in errors)
    assert preview.pane.console.fix_button.isVisibleTo(preview.pane)
