"""The root of Studio's errors: one a person can act on, shown as one clear line.

Every layer raises it or a subclass (`studio.core.errors` adds the store's), and both faces
catch it to show its message instead of a traceback. It imports nothing.
"""


class StudioError(Exception):
    """Base for errors shown to the person as one clear line."""
