"""Prices per model in the settings (`bench_prices`): read, typed, saved, merged."""

from __future__ import annotations

import json

import pytest

from studio.config.settings import Settings
from studio.errors import StudioError
from studio.scoring.prices import parse_price, prices_from, save_prices, stored_prices
from studio.scoring.suite import Price


def test_stored_prices_skip_what_is_not_a_price(tmp_path):
    settings = Settings(tmp_path / "settings.json")
    settings.set(
        "bench_prices",
        {
            "a": {"in": 2, "out": 8},
            "b": {"in": "x"},
            "c": "cheap",
            "d": {"in": -1, "out": 1},
            "e": {"out": 0.5},
            "f": {"in": "nan", "out": 1},
        },
    )
    assert stored_prices(settings) == {"a": Price(2.0, 8.0), "e": Price(0.0, 0.5)}
    settings.set("bench_prices", ["not", "a", "table"])
    assert stored_prices(settings) == {}


def test_saving_merges_with_other_models_and_forgets_cleared_ones(tmp_path):
    path = tmp_path / "settings.json"
    settings = Settings(path)
    save_prices(settings, {"a": Price(2, 8), "b": Price(0, 0)})
    save_prices(settings, {"b": None, "c": Price(0.15, 0.6)})
    on_disk = json.loads(path.read_text())["bench_prices"]
    assert on_disk == {"a": {"in": 2, "out": 8}, "c": {"in": 0.15, "out": 0.6}}
    assert stored_prices(Settings(path)) == {"a": Price(2, 8), "c": Price(0.15, 0.6)}


def test_options_override_the_settings_for_the_benched_models(tmp_path):
    settings = Settings(tmp_path / "settings.json")
    save_prices(settings, {"a": Price(2, 8), "z": Price(1, 1)})
    assert prices_from(settings, ["a", "b"], None, None) == {"a": Price(2, 8), "z": Price(1, 1)}
    assert prices_from(settings, ["a", "b"], None, 4) == {
        "a": Price(2, 4),
        "b": Price(0, 4),
        "z": Price(1, 1),
    }


@pytest.mark.parametrize(
    ("text", "value"), [("", None), ("  ", None), ("2.5", 2.5), ("$0.15", 0.15), ("0", 0.0)]
)
def test_typed_prices(text, value):
    assert parse_price(text, "the input price of m") == value


@pytest.mark.parametrize("text", ["cheap", "-1", "1,5", "inf", "nan", "2e9"])
def test_a_typed_price_that_is_not_one_is_said_clearly(text):
    with pytest.raises(StudioError, match=r"the input price of m: .* is not a price"):
        parse_price(text, "the input price of m")
