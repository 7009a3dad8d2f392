"""Studio: make mini-games and videos with AI by generating again and again."""

__version__ = "0.1.0"
