"""The scripted OpenAI-compatible chat server; it ships with Studio (for plugin authors'
tests) as `studio.testing.servers.chat`, re-exported here for the tests that import it from
here. Change the server there."""

from studio.testing.servers.chat import TEST_API_KEY, ChatServer, RecordedRequest, Scripted

__all__ = ["TEST_API_KEY", "ChatServer", "RecordedRequest", "Scripted"]
