"""Scripted model answers for the story tests: a whole new story, then an edit adding a branch."""

from __future__ import annotations

from studio.story.model import dump_story

# A story of seven scenes and three endings, as a model would write it.
HEIST = {
    "title": "The Clockwork Heist",
    "start": "gate",
    "style": "stop-motion miniature city at night, brass and fog, warm lamplight, 16:9",
    "cast": [
        {"name": "Pip", "description": "a small clockwork fox with a green scarf"},
        {"name": "Warden", "description": "a tall tin guard with a lantern for a head"},
    ],
    "scenes": [
        {
            "id": "gate",
            "title": "The Iron Gate",
            "text": "The museum of clocks is closed. Pip has one night to take back her heart.",
            "prompt": "Pip creeps up to a huge iron museum gate in the fog, looking up at a "
            "glowing clock tower",
            "clip": None,
            "choices": [
                {"label": "Climb the ivy", "next": "roof"},
                {"label": "Pick the lock", "next": "hall", "at": 1.0},
            ],
            "ending": False,
        },
        {
            "id": "roof",
            "title": "Over the Roofs",
            "text": "Slate tiles, wind, and a skylight left open a crack.",
            "prompt": "Pip balances across wet slate roofs under the moon towards a skylight",
            "clip": None,
            "choices": [
                {"label": "Drop through the skylight", "next": "vault"},
                {"label": "Wait for the Warden to pass", "next": "caught"},
            ],
            "ending": False,
        },
        {
            "id": "hall",
            "title": "The Hall of Hours",
            "text": "A thousand clocks tick together. One of them is listening.",
            "prompt": "Pip tiptoes down a long hall lined with ticking clocks; the Warden's "
            "lantern glows at the far end",
            "clip": None,
            "choices": [
                {"label": "Hide in a grandfather clock", "next": "vault"},
                {"label": "Run for it", "next": "caught"},
            ],
            "ending": False,
        },
        {
            "id": "vault",
            "title": "The Vault",
            "text": "Her heart sits under glass, still ticking.",
            "prompt": "A small brass heart ticks under a glass dome in a round vault; Pip "
            "reaches for it",
            "clip": None,
            "choices": [
                {"label": "Take it and run", "next": "home"},
                {"label": "Wind every clock at once", "next": "chime"},
            ],
            "ending": False,
        },
        {
            "id": "caught",
            "title": "Caught",
            "text": "The Warden lifts Pip gently and sets her on a shelf with the other toys.",
            "prompt": "The Warden lifts Pip in his tin hands and places her on a dusty shelf",
            "clip": None,
            "choices": [],
            "ending": True,
        },
        {
            "id": "home",
            "title": "Home by Dawn",
            "text": "Pip runs home across the bridges as the sun comes up, ticking again.",
            "prompt": "Pip runs across a stone bridge at dawn holding a glowing brass heart",
            "clip": None,
            "choices": [],
            "ending": True,
        },
        {
            "id": "chime",
            "title": "Midnight Chime",
            "text": "Every clock strikes at once, and the whole museum wakes up to dance.",
            "prompt": "All the clocks in the museum chime and spin; clockwork figures dance "
            "around Pip",
            "clip": None,
            "choices": [],
            "ending": True,
        },
    ],
}

NEW_STORY = (
    "Here is a heist with three endings: a rooftop way in and a front-door way in.\n\n"
    f'<file path="story.json">\n{dump_story(HEIST)}</file>\n'
)

# The follow-up: a new branch from the hall to a new scene (an edit of story.json).
ADD_BRANCH = """A new way through the hall: the cellar.

<edit path="story.json">
<<<<<<< SEARCH
        {
          "label": "Run for it",
          "next": "caught"
        }
      ],
=======
        {
          "label": "Run for it",
          "next": "caught"
        },
        {
          "label": "Slip into the cellar",
          "next": "cellar"
        }
      ],
>>>>>>> REPLACE
<<<<<<< SEARCH
      "choices": [],
      "ending": true
    }
  ]
}
=======
      "choices": [],
      "ending": true
    },
    {
      "id": "cellar",
      "title": "The Cellar",
      "text": "Under the museum, the oldest clock of all is waiting.",
      "prompt": "Pip climbs down into a cellar where a giant dusty clock turns slowly",
      "clip": null,
      "choices": [
        {
          "label": "Follow the pendulum",
          "next": "vault"
        }
      ],
      "ending": false
    }
  ]
}
>>>>>>> REPLACE
</edit>
"""
