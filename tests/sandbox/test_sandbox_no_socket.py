"""The sandbox opens no socket and looks no name up, whatever a game tries (issue 18).

A game that tries every kind of network access (tests/sandbox/hostile_network.py) runs in
the Preview and in `studio playtest`, each in a process of its own so Chromium's network log
can be switched on and so the network defence (`SANDBOX_NETWORK_SWITCHES`) can be taken
away for the control. A listener on 127.0.0.1 and ::1, reached also by `localhost` and
`game.localhost`, counts TCP connections and UDP datagrams; the network log shows lookups of
names no listener can see.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from studio.core.store import Project
from tests.sandbox.hostile_network import (
    DNS_HOST,
    KINDS,
    CountingListener,
    attempted,
    hostile_files,
    netlog_activity,
)

ROOT = Path(__file__).resolve().parents[2]


def run_hostile_game(face: str, listener: CountingListener, tmp_path: Path, defence: bool):
    """Play the hostile game in a child process; (its console lines, the network log)."""
    project = Project.create(tmp_path / "hostile")
    project.commit(hostile_files(listener.port), parent=None, kind="manual")
    project.close()
    netlog = tmp_path / "netlog.json"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env["QTWEBENGINE_CHROMIUM_FLAGS"] = (
        f"{env.get('QTWEBENGINE_CHROMIUM_FLAGS', '')} --log-net-log={netlog} "
        "--net-log-capture-mode=Everything"
    )
    command = [sys.executable, "-m", "tests.sandbox.network_child", face, str(project.path)]
    if not defence:
        command.append("--without-defence")
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert "{" in done.stdout, done.stderr[-3000:]
    result = json.loads(done.stdout[done.stdout.index("{") :])
    if face == "preview":
        messages = result["messages"]
    else:
        messages = [e["message"] for e in result["console_errors"] + result["load_errors"]]
    return messages, netlog


@pytest.mark.parametrize("face", ["preview", "playtest"])
def test_a_hostile_game_opens_no_socket_and_looks_up_no_name(face, listener, tmp_path):
    messages, netlog = run_hostile_game(face, listener, tmp_path, defence=True)
    assert attempted(messages) >= set(KINDS), messages  # the game did try everything
    counts, hosts = netlog_activity(netlog)
    print(f"\n{face}, defended: {listener.summary()}; network log: {dict(counts)}")
    assert listener.heard == [], listener.summary()
    assert not counts, (counts, hosts)


@pytest.mark.parametrize("face", ["preview", "playtest"])
def test_without_the_defence_the_same_game_reaches_out(face, listener, tmp_path):
    """The control: the shipped profile minus SANDBOX_NETWORK_SWITCHES (CSP and request
    guard still on). Resource hints and WebRTC pass both, so the listener hears the game and
    the network log shows the names it looked up: the test above fails without the defence."""
    messages, netlog = run_hostile_game(face, listener, tmp_path, defence=False)
    assert attempted(messages) >= set(KINDS), messages
    counts, hosts = netlog_activity(netlog)
    print(f"\n{face}, without the defence: {listener.summary()}; network log: {dict(counts)}")
    assert len(listener.heard) >= 4, listener.summary()
    assert counts["HOST_RESOLVER_MANAGER_REQUEST"] > 0 and counts["TCP_CONNECT_ATTEMPT"] > 0
    assert any(DNS_HOST in host for host in hosts), hosts
