"""The scripted chat server and providers for it, as the AI tests have them."""

from tests.ai.conftest import chat_provider, chat_server, make_chat_provider  # noqa: F401
