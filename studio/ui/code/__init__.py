"""The Code pane: the Chat panel (prompt, conversation, the answer streaming into the editor and
the Preview), the editor with its highlighter, History with diffs, and Variations."""
