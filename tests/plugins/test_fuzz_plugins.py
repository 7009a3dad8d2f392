"""Fuzzing what plugins declare (issue 18): the API version they ask for, the names and
objects they register, and their templates' template.json. A plugin that declares nonsense
is refused or marked failed with a reason a person can read; Studio and the other plugins
never see an exception.
"""

from __future__ import annotations

import json
import tempfile
import types
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from studio.core.templates import Template, load_template
from studio.plugins.control import plugin_rows
from studio.plugins.hookspecs import HOOKS, hookimpl
from studio.plugins.host import PluginHost, PluginState
from tests.fuzz import clear_error_or_result, examples

api_values = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.sampled_from([1, 2, 3])
    | st.floats()
    | st.text(max_size=6)
    | st.lists(st.integers(), max_size=2)
)
names = (
    st.text(max_size=12) | st.sampled_from(["openai", "builtin", "runner", " ", ""]) | st.integers()
)
objects = st.sampled_from(
    [None, 0, "text", print, lambda options: None, object(), type, b"", Template]
)


@st.composite
def plugins(draw) -> types.ModuleType:
    """A plugin module with a made-up STUDIO_API and hooks registering made-up things."""
    module = types.ModuleType("fuzzed_plugin")
    if draw(st.integers(0, 4)):
        module.STUDIO_API = draw(api_values)
    for hook in draw(st.lists(st.sampled_from(HOOKS), max_size=3, unique=True)):
        calls = draw(st.lists(st.tuples(names, objects), max_size=3))
        raises = draw(st.booleans()) and draw(st.integers(0, 3)) == 0

        def impl(register, calls=calls, raises=raises):
            for name, obj in calls:
                register(name, obj)
            if raises:
                raise RuntimeError("a plugin bug")

        setattr(module, hook, hookimpl(impl))
    return module


@settings(max_examples=examples(200))
@given(plugins(), st.booleans())
def test_a_plugin_declaring_anything_is_loaded_or_failed_with_a_reason(module, disabled):
    host = PluginHost(disabled=["fuzzed"] if disabled else [])
    host.load_all(entry_points=False)
    before = {kind: host.registrations(kind) for kind in ("templates", "code_providers")}
    info = host.add_module("fuzzed", module)
    assert info.state in (PluginState.ENABLED, PluginState.FAILED, PluginState.DISABLED)
    if info.state == PluginState.FAILED:
        assert isinstance(info.error, str) and info.error.strip()
        assert info.registered == []  # a failed plugin leaves nothing registered
    for kind, name in info.registered:
        assert isinstance(name, str) and name.strip()
        assert host.owner(kind, name) == "fuzzed"
    assert host.plugins["builtin"].state == PluginState.ENABLED  # Studio's own stay
    for kind, registrations in before.items():
        assert [r for r in registrations if r.plugin == "builtin"] == [
            r for r in host.registrations(kind) if r.plugin == "builtin"
        ]
    rows = plugin_rows(host)  # the CLI's and the dialog's lines
    assert all(isinstance(row.adds, str) for row in rows)
    if info.state != PluginState.FAILED and not disabled:
        host.disable("fuzzed")
        assert all(host.owner(kind, name) != "fuzzed" for kind, name in info.registered)


template_json = (
    st.dictionaries(st.sampled_from(["name", "title", "description", "kind", "x"]), api_values)
    .map(json.dumps)
    .map(str.encode)
    | api_values.map(lambda v: json.dumps(v).encode())
    | st.binary(max_size=40)
)


@settings(max_examples=examples(150))
@given(template_json, st.booleans())
@example(b"null", True)  # found: AttributeError in load_template
@example(b'{"name": " "}', True)  # found: a template named by a blank
def test_any_template_json_gives_a_template_or_a_clear_error(raw, has_index):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder)
        (path / "template.json").write_bytes(raw)
        if has_index:
            (path / "index.html").write_text("<p>game</p>")
        template = clear_error_or_result(lambda: load_template(path))
        if isinstance(template, Template):
            assert all(isinstance(v, str) for v in (template.name, template.title, template.kind))
            assert template.name.strip() and list(template.files()) == ["index.html"]
