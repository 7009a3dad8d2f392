"""Story mode: the scene graph, the scene editor and Make clips, beside the Code pane."""
