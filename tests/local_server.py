"""The base of the local test servers; it ships with Studio (for plugin authors' tests) as
`studio.testing.servers.base`, re-exported here for the tests that import it from here."""

from studio.testing.servers.base import LocalHandler, LocalServer

__all__ = ["LocalHandler", "LocalServer"]
