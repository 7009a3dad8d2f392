"""The Preview pane: the game running in the sandbox, its stage (device sizes), console,
frame-rate meter, screenshots and playtests."""
