"""Studio plugin: the Snake and Memory starter games.

Each game is a folder in `templates/` next to this file (shipped as package data), in the
shape `studio.core.templates.load_template` reads.
"""

from __future__ import annotations

import logging
from pathlib import Path

from studio.plugins import hookimpl

__version__ = "0.1.0"
STUDIO_API = 1  # the plugin API this plugin is written for (see plugins/README.md)

TEMPLATES = Path(__file__).resolve().parent / "templates"
log = logging.getLogger(__name__)


@hookimpl
def register_templates(register) -> None:
    from studio.core.templates import load_template
    from studio.errors import StudioError

    # One broken game is skipped (and logged); the other still appears in the gallery.
    for folder in sorted(p for p in TEMPLATES.iterdir() if p.is_dir()):
        try:
            template = load_template(folder)
        except StudioError as exc:
            log.error("template pack: skipped %s: %s", folder.name, exc)
            continue
        register(template.name, template)
