"""The recorded input script: written and read back, refused clearly when malformed, and
told apart from the older list of steps. Qt-free."""

from __future__ import annotations

import json

import pytest

from studio.errors import StudioError
from studio.sandbox.input_script import TAP_HOLD, Action, InputScript, is_recorded_script


def test_a_script_round_trips_through_json() -> None:
    script = InputScript(clock="game", seed=42, viewport=(640, 480))
    for action in (
        Action(0.0, "key", keys=("ArrowRight",), hold=0.5),
        Action(0.5, "key", keys=("ArrowRight", "Space"), hold=0.25),
        Action(0.75, "tap", point=(0.5, 0.25)),
        Action(0.8, "tap", element=3, label="Start", point=(0.5, 0.4)),
        Action(0.85, "type", text="Ada", element=1, label="Name"),
        Action(0.9, "drag", path=((0.2, 0.5), (0.8, 0.5)), hold=0.3),
    ):
        script.add(action)
    script.length = 3.0
    data = json.loads(json.dumps(script.to_json()))
    assert data[0] == {
        "script": "studio-inputs",
        "version": 2,
        "clock": "game",
        "seed": 42,
        "viewport": [640, 480],
        "length": 3.0,
    }
    assert data[1] == {"at": 0.0, "key": "ArrowRight", "hold": 0.5}
    assert data[4] == {"at": 0.8, "element": 3, "label": "Start", "tap": [0.5, 0.4]}
    back = InputScript.from_json(data)
    assert back == script
    assert back.describe()[1] == "at 0.50 s: hold ArrowRight + Space for 250 ms"
    assert back.actions[2].duration == TAP_HOLD and back.actions[4].duration == TAP_HOLD


def test_until_keeps_the_actions_begun_by_then() -> None:
    script = InputScript()
    script.add(Action(0.0, "key", keys=("Space",), hold=0.2))
    script.add(Action(1.0, "key", keys=("Enter",), hold=0.2))
    part = script.until(0.5)
    assert [a.keys for a in part.actions] == [("Space",)] and part.length == 0.5
    assert len(script.actions) == 2


@pytest.mark.parametrize(
    ("item", "words"),
    [
        ({"at": 0, "key": "Hyper"}, "unknown key 'Hyper'"),
        ({"at": -1, "key": "Space"}, "at must be seconds"),
        ({"at": 0, "tap": [2, 0]}, "fractions of the view"),
        ({"at": 0, "drag": [[0, 0]]}, "2 to 50 points"),
        ({"at": 0, "type": ""}, "type must be text"),
        ({"at": 0, "jump": True}, "has no key"),
        ("Space", "is not an object"),
    ],
)
def test_malformed_actions_are_refused_with_their_number(item, words) -> None:
    header = InputScript().to_json()[0]
    with pytest.raises(StudioError, match="action 1") as info:
        InputScript.from_json([header, item])
    assert words in str(info.value)


def test_the_older_list_of_steps_is_not_a_recorded_script() -> None:
    assert not is_recorded_script([{"at": 1.0, "key": "Space"}])
    assert not is_recorded_script([])
    assert is_recorded_script(InputScript().to_json())
    with pytest.raises(StudioError, match="header"):
        InputScript.from_json([{"key": "Space"}])
    bad_clock = [{**InputScript().to_json()[0], "clock": "moon"}]
    with pytest.raises(StudioError, match="clock"):
        InputScript.from_json(bad_clock)
