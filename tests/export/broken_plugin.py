"""A throw-away plugin whose exporter has a bug, for the Export dialog and CLI tests."""

from __future__ import annotations

import types

from studio.plugins.hookspecs import hookimpl


def raising_exporter_plugin(where: str) -> types.ModuleType:
    """A throw-away plugin whose exporter raises (a bug, not a StudioError) in `where`."""

    class Broken:
        name, title, suffix = "broken", "Broken format", ".broken"

        def estimate(self, project, version):
            if where == "estimate":
                raise RuntimeError("estimate blew up")
            return 10

        async def export(self, project, version, out_path, on_progress=None):
            raise RuntimeError("export blew up")

    plugin = types.ModuleType(f"broken_{where}")
    plugin.STUDIO_API = 1

    @hookimpl
    def register_exporters(register):
        register("broken", Broken())

    plugin.register_exporters = register_exporters
    return plugin
