"""Tools › Benchmark: the dialog runs a suite against the test server and shows the report."""

from __future__ import annotations

import pytest

from studio.ai.code_providers import ProviderConfig, save_provider_config
from studio.config.settings import Settings
from studio.plugins.host import PluginHost
from studio.scoring.prices import save_prices
from studio.scoring.suite import Price
from tests.ai.chat_server import TEST_API_KEY, Scripted
from tests.bench.conftest import GAMES, file_answer, write_suite

SUITE = """
name = "Dialog"
seconds = 1
keys = ["ArrowRight"]
taps = [[0.5, 0.5]]
[[task]]
id = "only"
title = "The only game"
prompt = "Make the dialog game"
checks = ["loads", "animates"]
"""


@pytest.fixture
def dialog(qtbot, qloop, config_dir, server, monkeypatch, no_keyring):
    from studio.ui.dialogs.bench_dialog import BenchDialog

    monkeypatch.setenv("OPENAI_API_KEY", TEST_API_KEY)
    settings = Settings()
    save_provider_config(
        settings, ProviderConfig(base_url=server.base_url, model="test-model", timeout=10)
    )
    host = PluginHost()
    host.load_all(entry_points=False)
    dialog = BenchDialog(settings, host)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def type_price(dialog, model: str, price_in: str, price_out: str) -> None:
    row = dialog.model_names().index(model)
    assert dialog.prices.item(row, 0).text() == model
    dialog.prices.item(row, 1).setText(price_in)
    dialog.prices.item(row, 2).setText(price_out)


def prices_shown(dialog) -> list[list[str]]:
    table = dialog.prices
    return [[table.item(r, c).text() for c in range(3)] for r in range(table.rowCount())]


def test_the_dialog_takes_provider_and_model_from_the_settings(dialog, server):
    assert dialog.base_url.text() == server.base_url
    assert dialog.model_names() == ["test-model"]
    assert dialog.suite_box.currentText() == "default"
    assert dialog.suite_path().endswith("default.toml")
    assert str(dialog.settings.path.parent) in dialog.out.text()


def test_the_dialog_runs_a_suite_and_shows_the_report(dialog, server, qtbot, tmp_path):
    server.route("Make the dialog game", file_answer(GAMES["good"]))
    dialog.suite_box.setEditText(str(write_suite(tmp_path, SUITE)))
    dialog.models.setText("test-model, test-model")
    type_price(dialog, "test-model", "2", "$8")
    dialog.out.setText(str(tmp_path / "out"))
    with qtbot.waitSignal(dialog.finished_run, timeout=120_000) as done:
        dialog.run_btn.click()
        assert dialog.running and not dialog.run_btn.isEnabled() and dialog.stop_btn.isEnabled()
    run = done.args[0]
    assert [r.passed for r in run.results] == [True]  # one model: the name was given twice
    assert dialog.progress.value() == dialog.progress.maximum() == 1
    assert "1 of 1 tasks passed" in dialog.status.text()
    assert "Bench · Dialog" in dialog.report.toHtml() and "The only game" in dialog.report.toHtml()
    assert dialog.report.source().toLocalFile() == str(tmp_path / "out" / "report.html")
    assert "only--test-model--r1: passed" in dialog.log_view.toPlainText()
    assert dialog.run_btn.isEnabled() and dialog.open_btn.isEnabled()
    assert dialog.settings.get("bench_models") == ["test-model"]
    # The price typed is kept, used for the cost and shown in the report.
    assert dialog.settings.get("bench_prices") == {"test-model": {"in": 2.0, "out": 8.0}}
    assert run.summaries[0].cost == pytest.approx(12 / 1e6 * 2 + 34 / 1e6 * 8)  # one answer
    page = dialog.report.toPlainText()
    assert "$0.0003" in page and "$2 in / $8 out per 1M tokens" in page


def test_prices_follow_the_models_and_are_remembered(qtbot, dialog, server):
    from studio.ui.dialogs.bench_dialog import BenchDialog

    dialog.models.setText("test-model, other")
    assert prices_shown(dialog) == [["test-model", "", ""], ["other", "", ""]]
    type_price(dialog, "other", "0.15", "")
    dialog.models.setText("other")  # typed prices live on while the names change
    dialog.models.setText("other, test-model")
    assert prices_shown(dialog) == [["other", "0.15", ""], ["test-model", "", ""]]
    assert dialog.typed_prices() == {"other": Price(0.15, 0.0), "test-model": None}

    # A price that is not a number is said, nothing starts and what was typed stays.
    type_price(dialog, "test-model", "cheap", "1")
    assert dialog.start() is None and not dialog.running
    assert "the input price of test-model: 'cheap' is not a price" in dialog.status.text()
    assert prices_shown(dialog)[1] == ["test-model", "cheap", "1"]
    assert dialog.settings.get("bench_prices") is None

    save_prices(dialog.settings, {"other": Price(0.15, 0.6), "gone": Price(1, 1)})
    again = BenchDialog(dialog.settings, dialog.host)
    qtbot.addWidget(again)
    again.models.setText("other, new")
    assert prices_shown(again) == [["other", "0.15", "0.6"], ["new", "", ""]]


def test_a_bad_suite_is_said_in_the_dialog(dialog, tmp_path):
    dialog.suite_box.setEditText(str(write_suite(tmp_path, '[[task]]\nid = "x"\n')))
    assert dialog.start() is None and "prompt must be" in dialog.status.text()
    dialog.models.setText("")
    assert dialog.start() is None and "at least one model" in dialog.status.text()


def test_stopping_keeps_and_reports_what_finished(dialog, server, qtbot, tmp_path):
    # The second task's answer never comes: Stop ends the run while it waits.
    server.route("Make the dialog game", file_answer(GAMES["good"]), Scripted(hang=True))
    second = SUITE.split("[[task]]")[1].replace('"only"', '"second"')
    two = SUITE + "[[task]]" + second
    dialog.suite_box.setEditText(str(write_suite(tmp_path, two)))
    dialog.out.setText(str(tmp_path / "out"))
    dialog.jobs.setValue(1)  # the tasks in order: the first answer goes to the first
    with qtbot.waitSignal(dialog.finished_run, timeout=120_000) as done:
        dialog.start()
        first_done = "only--test-model--r1: passed"
        qtbot.waitUntil(lambda: first_done in dialog.log_view.toPlainText(), timeout=120_000)
        dialog.stop()
    run = done.args[0]
    assert [r.unit for r in run.results] == ["only--test-model--r1"]
    assert dialog.status.text().startswith("Stopped: 1 of 1 tasks passed")


def test_tools_benchmark_opens_the_dialog_once(qtbot, qloop, config_dir, no_keyring):
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication

    from studio.ui.dialogs.bench_dialog import BenchDialog
    from studio.ui.main_window import MainWindow

    host = PluginHost()
    host.load_all(entry_points=False)
    window = MainWindow(host, Settings())
    try:
        actions = {a.text(): a for a in window.tools_menu.actions()}
        assert "&Benchmark…" in actions
        actions["&Benchmark…"].trigger()
        first = window.bench_dialog
        assert isinstance(first, BenchDialog) and first.isVisible()
        first.hide()
        actions["&Benchmark…"].trigger()
        assert window.bench_dialog is first and first.isVisible()
    finally:
        window.close()
        window.deleteLater()
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
