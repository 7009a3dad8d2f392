"""`studio.plugins.lazy_factory`: a provider factory whose module is imported when a
provider is made, not when the plugin loads."""

from __future__ import annotations

import sys

import pytest

from studio.plugins import lazy_factory


def test_the_module_is_imported_only_when_a_provider_is_made(monkeypatch) -> None:
    monkeypatch.delitem(sys.modules, "studio_title_cards.provider", raising=False)
    factory = lazy_factory("studio_title_cards.provider:create_provider")
    assert "studio_title_cards.provider" not in sys.modules
    provider = factory({"model": "level"})
    assert "studio_title_cards.provider" in sys.modules
    assert type(provider).__name__ == "TitleCardsProvider"


def test_a_target_without_a_function_is_refused() -> None:
    with pytest.raises(ValueError, match="module:function"):
        lazy_factory("studio_title_cards.provider")
