"""The start screen: shown when no project is open (and from File › Start)."""
