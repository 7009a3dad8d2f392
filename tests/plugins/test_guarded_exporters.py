"""Plugin exporters are guarded by the host like every other plugin kind (issue 18): a bug
becomes an ExportError and switches the plugin off, the person's disk errors and Studio's
own errors pass as they are, and a fault on a worker thread reaches the host on the thread
its loop runs on."""

from __future__ import annotations

import asyncio
import threading
import types
from pathlib import Path

import pytest

from studio.errors import StudioError
from studio.export import Exporter, ExportError, exporters, get_exporter
from studio.plugins.guard import Guarded
from studio.plugins.hookspecs import hookimpl
from studio.plugins.host import PluginHost, PluginState


def plugin_with(exporter: object) -> types.ModuleType:
    module = types.ModuleType("exporting_plugin")
    module.STUDIO_API = 2

    @hookimpl
    def register_exporters(register):
        register("odd", exporter)

    module.register_exporters = register_exporters
    return module


class Odd:
    name, title, suffix = "odd", "Odd format", ".odd"

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error

    def estimate(self, project, version) -> int:
        if self.error is not None:
            raise self.error
        return 42

    async def export(self, project, version, out_path, on_progress=None):
        await asyncio.sleep(0)
        raise self.error or RuntimeError("no error given")


def host_with(exporter: Odd) -> PluginHost:
    host = PluginHost()
    host.load_all(entry_points=False)
    host.add_module("odd-plugin", plugin_with(exporter))
    return host


def test_a_plugin_exporter_is_handed_out_guarded_and_studios_own_are_not():
    host = host_with(Odd())
    odd = get_exporter(host, "odd")
    assert isinstance(odd, Guarded) and isinstance(odd, Odd) and isinstance(odd, Exporter)
    assert (odd.name, odd.title, odd.estimate(None, None)) == ("odd", "Odd format", 42)
    assert not isinstance(get_exporter(host, "html"), Guarded)
    assert [e.name for e in exporters(host)][-1] == "odd"


def test_a_bug_in_an_exporter_switches_its_plugin_off_with_a_clear_error():
    host = host_with(Odd(KeyError("boom")))
    with pytest.raises(ExportError, match=r"'Odd format' of the plugin 'odd-plugin' broke"):
        get_exporter(host, "odd").estimate(None, None)
    assert host.plugins["odd-plugin"].state == PluginState.FAILED
    assert "odd" not in [e.name for e in exporters(host)]


@pytest.mark.parametrize(
    "error", [OSError(28, "No space left on device", "/out.odd"), StudioError("no index.html")]
)
def test_disk_and_studio_errors_pass_and_the_plugin_stays(error):
    host = host_with(Odd(error))
    with pytest.raises(type(error)):
        get_exporter(host, "odd").estimate(None, None)
    assert host.plugins["odd-plugin"].state == PluginState.ENABLED


async def test_a_fault_on_a_worker_thread_reaches_the_host_on_the_loop_thread(tmp_path: Path):
    host = host_with(Odd(ValueError("broke in the thread")))
    heard: list[int] = []
    host.subscribe(lambda: heard.append(threading.get_ident()))
    odd = get_exporter(host, "odd")  # made here, on the loop's thread

    def export_in_a_thread() -> None:
        asyncio.run(odd.export(None, None, tmp_path / "x.odd"))

    with pytest.raises(ExportError, match="broke in the thread"):
        await asyncio.to_thread(export_in_a_thread)
    await asyncio.sleep(0)
    assert host.plugins["odd-plugin"].state == PluginState.FAILED
    assert heard == [threading.get_ident()]
