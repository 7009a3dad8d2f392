"""The Video pane's form in a real main window offers what the chosen model can do: shape,
length, first and last frame, reference pictures (from files and the project's pictures),
sound, seed, negative prompt; the Generate button says about what the clip costs; the
pane says what the project spent; "Continue" extends a clip where the model can. Through
the real queue and ffmpeg, with a local provider plugin (tests/ai/local_models.py)."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

from studio.core.records import VideoJob
from studio.ui.video.video_jobs import JobRow
from studio.ui.widgets.provider_combo import choose_name
from tests.ai.local_models import RICH, Service, add_local
from tests.qt_asyncio import run_with_qt
from tests.ui.conftest import open_project
from tests.ui.pictures import solid_png as png


async def until(predicate, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, f"timed out: {predicate}"
        await asyncio.sleep(0.02)


def data_of(box) -> list:
    return [box.itemData(i) for i in range(box.count())]


def test_the_form_offers_what_the_model_takes_and_says_the_cost(
    make_window, host, probe_project: Path, tmp_path: Path
) -> None:
    service = Service()
    add_local(host, service)
    window = make_window()
    pane, form = window.video, window.video.form

    async def scenario() -> None:
        project = open_project(window, probe_project)
        project.add_asset("hero.png", png("#ff0000"))
        await until(lambda: pane.queue is not None)
        choose_name(pane.provider_box, "local")
        assert pane.provider_box.currentText() == "Local test models"
        assert data_of(form.model_box) == [None, "local-1", "local-1-mini"]
        form.model_box.setCurrentIndex(form.model_box.findData("local-1"))
        assert data_of(form.seconds_box) == [1, 2]
        assert data_of(form.size_box) == ["16:9", "9:16"]  # an aspect ratio, no sizes
        assert data_of(form.resolution_box) == ["720p", "1080p"]
        for widget in (form.last, form.references, form.audio_box, form.seed_box, form.negative):
            assert widget.isVisibleTo(form), widget
        assert form.references.count_label.text() == "References 0/3"
        # local-1: $0.60 a second with sound, x1.5 at 1080p.
        assert pane.generate_button.text() == "Generate · about $0.60"
        form.resolution_box.setCurrentIndex(1)
        assert pane.generate_button.text() == "Generate · about $0.90"
        form.audio_box.click()  # the person turns sound off
        assert pane.generate_button.text() == "Generate · about $0.60"

        # The title cards take none of it, and cost nothing.
        choose_name(pane.provider_box, "title-cards")
        for widget in (form.last, form.references, form.resolution_box, form.seed_box):
            assert not widget.isVisibleTo(form), widget
        assert "1280x720" in data_of(form.size_box)
        assert pane.generate_button.text() == "Generate · free"

        choose_name(pane.provider_box, "local")
        form.model_box.setCurrentIndex(form.model_box.findData("local-1"))
        assert not form.audio_box.isChecked()  # the person's choice stays
        form.resolution_box.setCurrentIndex(form.resolution_box.findData("1080p"))
        form.first.set(png("#00ff00"), "start.png")
        form.last.set(png("#0000ff"), "end.png")
        form.references.add(png("#ffff00"), "style.png")
        menu = form.references.asset_button.menu()
        menu.aboutToShow.emit()
        (hero,) = [a for a in menu.actions() if a.text() == "hero.png"]
        hero.trigger()
        assert [label for _data, label in form.references.pictures] == ["style.png", "hero.png"]
        form.seed_box.setValue(7)
        form.negative.setText("no text")
        pane.prompt.setPlainText("A knight in the rain")
        job = pane.generate()
        assert job is not None, pane.error.text()
        assert form.first.picture is None and form.references.pictures == []  # used up
        await until(lambda: project.job(job.id).status == "completed")
        (sent,) = service.requests
        # 2 s: the length chosen for the title cards is offered here too, so it stays.
        assert (sent.model, sent.seconds, sent.aspect, sent.resolution, sent.audio) == (
            "local-1",
            2,
            "16:9",
            "1080p",
            False,
        )
        assert sent.image == png("#00ff00") and sent.last_frame == png("#0000ff")
        assert sent.references == (png("#ffff00"), png("#ff0000"))
        assert (sent.seed, sent.negative_prompt) == (7, "no text")
        # What the project spent, under the button.
        await until(lambda: form.spent.isVisibleTo(form))
        assert form.spent.text() == "Spent in this project: local $1.20"
        window.session.close()
        await pane.idle()

    run_with_qt(scenario())


def test_continue_extends_where_the_model_can_else_starts_on_the_last_frame(
    make_window, host, probe_project: Path
) -> None:
    service = Service()
    frames = dataclasses.replace(RICH, extend=False)
    add_local(host, service, per_model={"local-1-mini": frames})
    window = make_window()
    pane, form = window.video, window.video.form

    async def scenario() -> None:
        project = open_project(window, probe_project)
        await until(lambda: pane.queue is not None)
        choose_name(pane.provider_box, "local")
        pane.prompt.setPlainText("A boat leaves the harbour")
        source = pane.generate()
        await until(lambda: project.job(source.id).status == "completed")
        clip = project.job(source.id).result[0]

        assert pane.continue_from_last_frame(clip) is None  # nothing to wait for: extension
        assert form.continuation == (clip, source.id)
        assert form.first.text.text() == f"Continues {clip} by extension on local"
        assert pane.generate_button.text().startswith(f"Extend {clip} · about $")
        assert not form.last.isVisibleTo(form)  # an extension takes no new pictures
        pane.prompt.setPlainText("The boat sails out to sea")
        extension = pane.generate()
        assert extension.params["kind"] == "extend"
        assert extension.params["source_remote_id"] == project.job(source.id).remote_id
        assert form.continuation is None and pane.generate_button.text().startswith("Generate")

        # A model that cannot extend: the clip's last frame becomes the first frame.
        form.model_box.setCurrentIndex(form.model_box.findData("local-1-mini"))
        await pane.continue_from_last_frame(clip)
        assert form.continuation is None
        assert form.first.text.text() == f"Last frame of {clip}"
        assert form.first.picture[:4] == b"\x89PNG"
        window.session.close()
        await pane.idle()

    run_with_qt(scenario())


def test_a_job_row_says_its_cost_and_its_continuity(qtbot) -> None:
    job = VideoJob(
        1,
        "local",
        "job-1",
        {
            "prompt": "tower",
            "estimate_usd": 0.6,
            "continuity": {"method": "first_frame", "from": "shore"},
        },
        "running",
        0.5,
        None,
        [],
        0.0,
        0.0,
    )
    row = JobRow(job)
    qtbot.addWidget(row)
    assert row.status.text() == ("generating 50% · about $0.60 · starts on the last frame of shore")
    done = dataclasses.replace(job, status="completed", params={**job.params, "cost_usd": 0.42})
    row.update_job(done, running=False)
    assert row.status.text() == "done · $0.42 · starts on the last frame of shore"
