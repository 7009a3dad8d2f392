"""The check language on its own: reading it, planning inputs for it, judging samples."""

from __future__ import annotations

import pytest

from studio.errors import StudioError
from studio.scoring.checks import parse_check, parse_checks
from studio.scoring.evaluate import evaluate, evaluate_all, reaction
from studio.scoring.observe import (
    MISSING,
    Observation,
    PhoneLayout,
    Sample,
    changed_paths,
    fits,
    resolve,
)
from studio.scoring.plan import Timing, build_plan

LOADED = {"loaded": True, "animated": True, "seconds": 3.0}


def plan_for(*specs, followup: bool = False, keys=("Space",), taps=((0.5, 0.5),)):
    checks = parse_checks(list(specs), "test", followup=followup)
    return build_plan(
        checks,
        seconds=1,
        viewport=(800, 600),
        timing=Timing(idle=1, gap=0.5, tail=0.2),
        keys=keys,
        taps=taps,
    )


def samples(*pairs, quiet: float = 1.0):
    """Samples from (inputs sent, state) pairs, a tenth of a second apart."""
    return [
        Sample(t=i / 10, sent=sent, quiet=quiet, hook=True, state=state)
        for i, (sent, state) in enumerate(pairs)
    ]


# -- reading ----------------------------------------------------------------------------


def test_checks_read_as_names_or_tables_with_labels():
    checks = parse_checks(
        [
            "loads",
            {"check": "no_console_errors", "seconds": 3},
            {"check": "reacts_to_keys", "keys": ["Space", "KeyW"]},
            {"check": "fits_phone_viewport"},
            {"state": "score", "equals": 0, "at": "start"},
            {"state": "player.vy", "after_keys": ["Space"], "changes": True},
            {"state": "lives", "exists": True, "label": "has lives"},
            {"state": "speed", "at": "start", "compare": "previous", "increases": True},
        ],
        "t",
        followup=True,
    )
    assert [c.label for c in checks] == [
        "loads",
        "no console errors for 3 s",
        "reacts to keys (Space, KeyW)",
        "fits a 390×844 phone screen",
        "score = 0 at start",
        "player.vy changes after keys Space",
        "has lives",
        "speed increases from the previous version (at start)",
    ]
    assert checks[3].viewport == (390, 844) and checks[5].trigger == "keys"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("jumps", "unknown check 'jumps'"),
        ({"check": "loads", "seconds": 2}, "loads has no option seconds"),
        ({"state": "score"}, "has no condition"),
        ({"state": "score", "equal": 0}, "unknown key equal"),
        ({"state": "score", "equals": 0, "at": "middle"}, 'at must be "start" or "end"'),
        ({"state": "x", "after_keys": ["Jump"], "changes": True}, "unknown key 'Jump'"),
        ({"state": "x", "after_taps": [[2, 0]], "changes": True}, "fractions of the view"),
        ({"state": "x", "after_keys": ["Space"], "at": "start", "equals": 1}, "not both"),
        ({"state": "x", "compare": "previous", "increases": True}, "for follow-ups"),
        ({"state": "x", "increases": False}, "increases must be true"),
        ({"state": "x", "min": "3"}, "min must be a number"),
        ({"state": "x", "type": "int"}, "type must be one of"),
        ({"state": "", "exists": True}, "state must name a value"),
        ({"state": "a..b", "exists": True}, "empty part"),
        ({"check": "fits_phone_viewport", "viewport": [10, 10]}, "viewport must be"),
        ({"check": "no_console_errors", "seconds": 0}, "seconds must be a number"),
        (["loads"], "a check is a name or a table"),
        ({"check": "loads", "state": "x"}, "not both"),
    ],
)
def test_mistakes_in_checks_are_named(spec, message):
    with pytest.raises(StudioError, match=message.replace("(", r"\(").replace("[", r"\[")):
        parse_check(spec, "suite.toml task 'x' check 1")


# -- planning ---------------------------------------------------------------------------


def test_the_plan_gives_each_pressing_check_its_own_segment():
    plan = plan_for(
        "loads",
        {"state": "vy", "after_keys": ["Space", "ArrowUp"], "changes": True},
        {"state": "taps", "after_taps": [[0.1, 0.2]], "increases": True},
        {"check": "no_console_errors", "seconds": 9},
        {"check": "fits_phone_viewport", "viewport": [360, 640]},
    )
    kinds = [(s.kind, s.start, s.end, s.generic) for s in plan.segments]
    assert kinds == [
        ("keys", 0, 2, False),
        ("taps", 2, 3, False),
        ("keys", 3, 4, True),
        ("taps", 4, 5, True),
    ]
    assert plan.segment_of(1) is plan.segments[0] and plan.segment_of(2) is plan.segments[1]
    assert plan.generic("keys") is plan.segments[2]
    assert plan.inputs[0] == {"at": 1.0, "key": "Space", "hold": 0.15}
    assert plan.inputs[1]["at"] == pytest.approx(1.25)
    assert [i["at"] for i in plan.inputs] == sorted(i["at"] for i in plan.inputs)
    assert plan.seconds == 9 and plan.phone == (360, 640)
    # Without a long error check, the plan's own length decides.
    assert plan_for("loads").seconds == pytest.approx(1 + 0.25 + 0.5 + 0.15 + 0.5 + 0.2)


def test_reaction_checks_use_their_keys_or_the_suites():
    taps = {"check": "reacts_to_taps", "taps": [[0.1, 0.1]]}
    plan = plan_for("reacts_to_keys", taps, keys=("KeyA", "KeyB"))
    assert [i.get("key") or i.get("tap") for i in plan.inputs] == ["KeyA", "KeyB", [0.1, 0.1]]


# -- reading states ---------------------------------------------------------------------


def test_paths_resolve_into_objects_arrays_and_lengths():
    state = {"player": {"x": 3, "tags": ["a", "b"]}, "enemies": [{"x": 1}, {"x": 2}], "n": None}
    assert resolve(state, "player.x") == 3
    assert resolve(state, "enemies.1.x") == 2 and resolve(state, "enemies.-1.x") == 2
    assert resolve(state, "enemies.length") == 2 and resolve(state, "player.tags.length") == 2
    assert resolve(state, "player.length") == 2  # keys of an object
    assert resolve(state, "n") is None
    for missing in ("player.y", "enemies.5", "n.x", "player.x.y"):
        assert resolve(state, missing) is MISSING


def test_changed_paths_name_the_leaves_that_moved():
    before = {"a": 1, "b": {"c": 2, "d": [1, 2]}, "t": 0.1}
    after = {"a": 1, "b": {"c": 3, "d": [1, 2, 3]}, "t": 0.1 + 1e-12, "new": True}
    assert changed_paths(before, after) == {"b.c", "b.d.length", "b.d.2", "new"}


# -- judging ----------------------------------------------------------------------------


def test_state_conditions_at_start_and_end():
    obs = Observation(
        LOADED,
        samples((0, {"score": 0, "mode": "title", "hp": 3}), (2, {"score": 5, "mode": "play"})),
    )
    plan = plan_for(
        {"state": "score", "equals": 0, "at": "start"},
        {"state": "score", "min": 1, "max": 10},
        {"state": "mode", "one_of": ["play", "over"]},
        {"state": "score", "increases": True},
        {"state": "hp", "exists": False},
        {"state": "mode", "type": "string"},
        {"state": "score", "equals": 0},
        {"state": "lives", "exists": True},
        {"state": "mode", "not_equals": "play"},
    )
    results = evaluate_all(plan, obs)
    assert [r.passed for r in results] == [True, True, True, True, True, True, False, False, False]
    assert results[3].detail == "score: 0 → 5"
    assert results[6].detail == "score is 5"
    assert results[7].detail == "lives is missing from the state"


def test_a_check_after_keys_compares_just_before_and_after_its_segment():
    plan = plan_for({"state": "vy", "after_keys": ["Space"], "changes": True})
    # Segment 0 is inputs 0→1; the generic keys and taps follow.
    moved = Observation(LOADED, samples((0, {"vy": 0}), (0, {"vy": 0}), (1, {"vy": -5})))
    still = Observation(LOADED, samples((0, {"vy": 0}), (1, {"vy": 0})))
    assert evaluate(plan.checks[0], 0, plan, moved).passed
    result = evaluate(plan.checks[0], 0, plan, still)
    assert not result.passed and result.detail == "vy stayed 0"


def test_compare_previous_reads_the_same_moment_of_the_last_game():
    spec = {"state": "speed", "at": "start", "compare": "previous", "increases": True}
    plan = plan_for(spec, followup=True)
    before = Observation(LOADED, samples((0, {"speed": 2})))
    faster = Observation(LOADED, samples((0, {"speed": 3})))
    assert evaluate(plan.checks[0], 0, plan, faster, before).passed
    assert not evaluate(plan.checks[0], 0, plan, before, faster).passed
    assert "previous version" in evaluate(plan.checks[0], 0, plan, faster, None).detail


def test_reactions_discount_what_changes_on_its_own():
    plan = plan_for("reacts_to_keys")
    segment = plan.segment_of(0)
    tick = [(0, {"t": i, "x": 0}) for i in range(4)]
    reacting = Observation(LOADED, samples(*tick, (1, {"t": 9, "x": 5})))
    ignoring = Observation(LOADED, samples(*tick, (1, {"t": 9, "x": 0})))
    assert reaction(reacting, segment).reacted
    assert reaction(reacting, segment).detail == "changed x"
    result = reaction(ignoring, segment)
    assert not result.reacted and result.detail == "only values that change on their own changed"


def test_a_short_quiet_stretch_falls_back_to_the_opening_one_for_what_changes_on_its_own():
    plan = plan_for({"state": "x", "after_taps": [[0.5, 0.5]], "changes": True}, "reacts_to_keys")
    segment = plan.segment_of(1)  # after the taps segment: one input sent before it
    opening = [Sample(t=i / 10, sent=0, quiet=1.0, hook=True, state={"t": i}) for i in range(3)]
    short = Sample(t=1, sent=1, quiet=0.4, hook=True, state={"t": 5})  # one sample only
    after = Sample(t=2, sent=2, quiet=0.1, hook=True, state={"t": 9})
    deaf = Observation(LOADED, [*opening, short, after])
    result = reaction(deaf, segment)
    assert not result.reacted and result.detail == "only values that change on their own changed"
    # Without the opening samples there is nothing to tell ticking from reacting.
    assert reaction(Observation(LOADED, [short, after]), segment).reacted


def test_without_a_state_hook_reactions_are_judged_by_the_picture():
    plan = plan_for("reacts_to_taps")
    segment = plan.segment_of(0)
    dark, lit = bytes(48 * 36), bytes([200]) * (48 * 36)

    def obs(after: bytes) -> Observation:
        pics = [(1, dark), (1, dark), (2, after)]  # the keys segment comes first
        return Observation(
            LOADED, [Sample(t=i, sent=s, quiet=1.0, picture=p) for i, (s, p) in enumerate(pics)]
        )

    assert reaction(obs(lit), segment).reacted
    assert reaction(obs(lit), segment).judged_by == "picture"
    assert not reaction(obs(dark), segment).reacted


def test_generic_checks_read_the_playtest_report():
    plan = plan_for("loads", "animates", "no_console_errors", "has_state_hook")
    good = Observation(LOADED, samples((0, {"a": 1})))
    assert [r.passed for r in evaluate_all(plan, good)] == [True, True, True, True]
    error = {"message": "boom", "source": "index.html", "line": 3, "kind": "uncaught"}
    broken = Observation({"loaded": True, "animated": False, "console_errors": [error, error]}, [])
    results = evaluate_all(plan, broken)
    assert [r.passed for r in results] == [True, False, False, False]
    assert results[2].detail == "boom (index.html:3) (+1 more)"
    hung = Observation({"loaded": True, "hung": True})
    assert evaluate(plan.checks[2], 2, plan, hung).detail.startswith("the game stopped responding")
    missing = {"message": "File not found: a.png", "source": "a.png", "line": 0, "kind": "resource"}
    not_found = Observation({"loaded": True, "load_errors": [missing]})
    assert not evaluate(plan.checks[0], 0, plan, not_found).passed


def test_fitting_a_phone_screen():
    ok = {"vw": 390, "vh": 844, "cw": 390, "ch": 844, "sw": 390, "sh": 844}
    ok["canvases"] = [[0, 0, 390, 844]]
    assert fits(ok) == (True, "fits 390×844")
    assert not fits({**ok, "sw": 800})[0]
    assert "scrollbars" in fits({**ok, "cw": 375})[1]
    assert "sticks out" in fits({**ok, "canvases": [[0, 0, 800, 600]]})[1]
    assert not fits(None)[0]
    plan = plan_for("fits_phone_viewport")
    phone = PhoneLayout((390, 844), loaded=True, layout={**ok, "sh": 900})
    result = evaluate(plan.checks[0], 0, plan, Observation(LOADED, phone=phone))
    assert not result.passed and "it scrolls" in result.detail
