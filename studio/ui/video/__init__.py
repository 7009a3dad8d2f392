"""The Video pane: the prompt form, the clip library, clip actions (trim, export, use in game)
and gameplay recording; the clip player."""
