"""Qt-free domain: project store, versions, assets, edits, export."""
