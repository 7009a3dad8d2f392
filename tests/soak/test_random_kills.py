"""Nothing is lost under random kills (issue 18): a child process runs generations, edits,
imports, video jobs and story clips against local servers and is killed with SIGKILL at
random moments; after each kill both projects open, pass `PRAGMA integrity_check`, hold every
version and asset the child reported committed with every blob intact, hold no half-written
or unnamed file, and every interrupted job can resume; a last run finishes every job.

The normal suite kills 40 times (about a minute). The long run:

    python -m pytest tests/soak -s --soak-kills 220 [--soak-seed N]
"""

from __future__ import annotations

import pytest

from tests.soak.soak import Soak


@pytest.fixture
def soak_kills(request: pytest.FixtureRequest) -> int:
    return int(request.config.getoption("--soak-kills"))


@pytest.fixture
def soak_seed(request: pytest.FixtureRequest) -> int:
    import random

    given = request.config.getoption("--soak-seed")
    return int(given) if given is not None else random.randrange(1, 10**6)


def test_nothing_is_lost_under_random_kills(tmp_path, soak_kills, soak_seed):
    figures = Soak(tmp_path, soak_seed).run(kills=soak_kills)
    print("\n" + figures.summary())
    assert not figures.problems, "\n".join([figures.summary(), *figures.problems[:20]])
    assert figures.kills == soak_kills
    assert figures.versions_reported > soak_kills // 4  # the child did get work done
    assert figures.versions_lost == 0 and figures.assets_lost == 0
