"""Prices and estimates (`studio.ai.video_cost`), the words for a batch's total
(`studio.operations.video_costs.Estimate`), what a model takes in words
(`studio.ai.video_options`) and Test connection's verdicts (`studio.ai.service_check`)."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from studio.ai.service_check import check_connection
from studio.ai.video_cost import (
    clip_estimate,
    money,
    price_for,
    price_from_dict,
    price_overrides,
    price_to_dict,
    price_words,
)
from studio.ai.video_options import aspect_of, capability_words, nearest, request_problem
from studio.ai.video_provider import VideoCapabilities, VideoError, VideoPrice, VideoRequest
from studio.config.settings import Settings
from studio.operations.video_costs import Estimate
from tests.ai.local_models import RICH


def test_the_persons_price_wins_then_the_models_then_the_default() -> None:
    caps = dataclasses.replace(
        RICH, prices={"local-1": VideoPrice(per_second=0.4), "": VideoPrice(per_second=0.2)}
    )
    assert price_for("local", caps, "local-1") == (VideoPrice(per_second=0.4), "provider")
    assert price_for("local", caps, "other") == (VideoPrice(per_second=0.2), "provider")
    assert price_for("local", caps, None) == (VideoPrice(per_second=0.2), "provider")
    mine = {"local": {"local-1": VideoPrice(per_clip=1.0)}}
    assert price_for("local", caps, "local-1", mine) == (VideoPrice(per_clip=1.0), "settings")
    assert price_for("local", caps, "other", mine)[1] == "provider"
    assert price_for("local", VideoCapabilities(), None) is None
    # Without a "" price, a provider's first model is its default.
    first = VideoCapabilities(models=("a", "b"), prices={"a": VideoPrice(per_second=1)})
    assert price_for("x", first, None) == (VideoPrice(per_second=1), "provider")


def test_an_estimate_follows_length_sound_and_resolution() -> None:
    est = clip_estimate
    assert est("local", RICH, model="local-1", seconds=2, audio=False) == pytest.approx(0.8)
    assert est("local", RICH, model="local-1", seconds=2) == pytest.approx(1.2)  # sound: on
    assert est("local", RICH, model="local-1", seconds=2, resolution="1080p") == pytest.approx(1.8)
    assert est("local", RICH, model="local-1") == pytest.approx(0.6)  # the shortest length
    assert est("nothing", VideoCapabilities()) is None


def test_prices_in_settings_are_read_tolerantly(tmp_path) -> None:
    settings = Settings(tmp_path / "settings.json")
    settings.set(
        "video_prices",
        {
            "veo": {
                "veo-3": {"per_second": 0.4, "per_second_audio": 0.75},
                "broken": {"per_second": "a lot"},
                "negative": {"per_clip": -1},
            },
            "junk": 3,
        },
    )
    table = price_overrides(settings)
    assert table == {"veo": {"veo-3": VideoPrice(per_second=0.4, per_second_audio=0.75)}}
    price = table["veo"]["veo-3"]
    assert price_from_dict(price_to_dict(price)) == price
    assert price_from_dict({}) is None and price_from_dict([1]) is None
    assert price_words(price) == "$0.40/s, $0.75/s with sound"
    assert price_words(VideoPrice()) == "free"
    assert price_words(VideoPrice(per_second=0.0035)) == "$0.0035/s"


def test_money_and_a_batch_total_in_words() -> None:
    assert (money(1.6), money(0.001), money(None)) == ("$1.60", "<$0.01", "unknown")
    assert Estimate.of([1.0, 0.6]).words() == "about $1.60"
    assert Estimate.of([0.0, 0.0]).free and Estimate.of([0.0]).words() == "free"
    assert Estimate.of([1.0, None, None]).words() == "about $1.00 + 2 clips of unknown price"
    assert Estimate.of([None]).words().startswith("price unknown")


def test_what_a_model_takes_in_words() -> None:
    words = capability_words(RICH)
    assert words[:2] == ["1 or 2 s", "16:9 or 9:16 at 720p or 1080p"]
    assert "3 reference pictures" in words and "sound" in words and "extend" in words
    assert capability_words(VideoCapabilities(durations=(4,), sizes=("1280x720",))) == [
        "4 s",
        "1280x720",
    ]
    assert nearest((4, 6, 8), 5) == 6 and nearest((4, 8), 20) == 8 and nearest((), 3) == 3


def test_a_size_of_a_shape_the_model_makes_is_left_to_the_provider_to_map() -> None:
    wide = VideoRequest("a cat", size="1920x1080")
    assert request_problem(RICH, wide, what="x") is None  # 16:9
    square = VideoRequest("a cat", size="1024x1024")
    assert request_problem(RICH, square, what="x") == (
        "x makes clips in the aspect ratio 16:9 or 9:16, not 1024x1024."
    )
    assert aspect_of("720x1280") == "9:16" and aspect_of("big") is None


def test_an_older_provider_is_not_held_to_its_menu_of_lengths_and_sizes() -> None:
    menu = VideoCapabilities(durations=(4, 8), sizes=("1280x720",))
    odd = VideoRequest("a cat", seconds=1, size="160x90")
    assert "makes clips of 4 or 8 s" in request_problem(menu, odd, what="x", strict=True)
    assert request_problem(menu, odd, what="x", strict=False) is None


class _Checks:
    def __init__(self, outcome: object) -> None:
        self.outcome = outcome

    async def check(self) -> None:
        if self.outcome == "slow":
            await asyncio.sleep(5)
        elif isinstance(self.outcome, BaseException):
            raise self.outcome


@pytest.mark.parametrize(
    ("outcome", "verdict", "start"),
    [
        (None, "works", "Works"),
        (VideoError("auth", "The key was refused (401)."), "key_refused", "Key refused: "),
        (VideoError("quota", "Out of credit at fal."), "no_credit", "No credit: Out of credit"),
        (VideoError("unreachable", "No route."), "unreachable", "Cannot reach the service"),
        (VideoError("rate_limited", "Slow down."), "works", "Works (the service asks"),
        (VideoError("server", "It broke (500)."), "failed", "Failed: It broke"),
        (KeyError("token"), "failed", "The test itself failed: KeyError"),
        ("slow", "unreachable", "Cannot reach the service: no answer within 0.2 s"),
    ],
)
async def test_test_connection_says_it_in_one_line(outcome, verdict, start) -> None:
    result = await check_connection(_Checks(outcome), timeout=0.2)
    assert result.verdict == verdict and result.line.startswith(start)
    assert "\n" not in result.line


async def test_a_provider_without_check_cannot_test() -> None:
    result = await check_connection(object())
    assert result.verdict == "cannot_test" and "cannot test" in result.line
