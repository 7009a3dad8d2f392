"""`studio clips` with a service that costs money, as a real process against the local
/v1/videos server: the plan and its total before anything starts, one question (no answer:
nothing is queued; `--yes` for scripts), and `studio jobs` with each job's cost and what
the project spent per service."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from studio.core.store import Project
from tests.ai.video_server import VideoServer, server_clip

REPO = Path(__file__).resolve().parents[2]
KEY = "sk-test-clips-cost-SECRET-3c0e"


def studio(config: Path, *args: str | Path, answer: str | None = None):
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_BASE_URL",)}
    env.update(
        STUDIO_CONFIG_DIR=str(config),
        OPENAI_API_KEY=KEY,
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    return subprocess.run(
        [sys.executable, "-m", "studio", *map(str, args)],
        capture_output=True,
        text=True,
        input=answer if answer is not None else "",
        cwd=REPO,
        timeout=240,
        env=env,
    )


def test_a_batch_that_costs_money_asks_once_and_jobs_show_the_spend(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / "settings.json").write_text(json.dumps({"video_providers": {}}))
    tale = tmp_path / "tale"
    assert studio(config, "new", tale, "--template", "story").returncode == 0

    with VideoServer(server_clip(), api_key=KEY) as server:
        flags = ["--provider", "openai", "--base-url", server.base_url, "--model", "sora-2"]
        two = ["--scene", "shore", "--scene", "tower"]

        # No answer (a script without --yes): the total is said, nothing is queued.
        refused = studio(config, "clips", tale, *flags, *two)
        assert refused.returncode == 1 and "Traceback" not in refused.stderr
        assert "plan: shore: about $0.40" in refused.stderr
        assert refused.stderr.strip().endswith(
            "studio: error: 2 clips with openai: about $0.80: add --yes to go ahead without asking"
        )
        assert server.calls("POST") == []
        # Asked, and told no.
        declined = studio(config, "clips", tale, *flags, *two, answer="n\n")
        assert declined.returncode == 1 and "Make 2 clips with openai: about $0.80? [y/N]" in (
            declined.stderr
        )
        assert "stopped: nothing was queued" in declined.stderr and server.calls("POST") == []

        # Asked once, and told yes.
        made = studio(config, "clips", tale, *flags, *two, "--continuity", answer="y\n")
        assert made.returncode == 0, made.stderr
        assert made.stderr.count("[y/N]") == 1
        # The gateway's API extends clips: tower continues shore's clip on the service.
        assert "plan: tower: extends the clip of shore, about $0.40" in made.stderr
        assert "scene tower: done (extends the clip of shore)" in made.stderr
        assert len(server.calls("POST")) == 2
        (extension,) = server.calls("POST", "/v1/videos/extensions")
        shore = next(v for v in server.videos.values() if v.prompt.startswith("The Dark Tower"))
        assert extension.fields["video[id]"] == shore.id

        # --yes: no question at all.
        again = studio(config, "clips", tale, *flags, "--scene", "boat", "--yes")
        assert again.returncode == 0, again.stderr
        assert "[y/N]" not in again.stderr and "plan: 1 clip with openai: about $0.40" in (
            again.stderr
        )

    jobs = studio(config, "jobs", tale)
    assert jobs.returncode == 0, jobs.stderr
    rows = jobs.stdout.splitlines()
    assert len(rows) == 4 and all("$0.40" in row for row in rows[:3])
    assert "(extends the clip of shore)" in rows[1]
    assert rows[-1] == "Spent in this project: openai $1.20"
    with Project.open(tale) as project:
        assert {j.params["cost_from"] for j in project.jobs()} == {"estimate"}
