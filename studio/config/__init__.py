"""Settings, API keys and the paths of shipped resources.

The bottom layer: it imports nothing else of Studio's, so every layer may read settings.
"""
