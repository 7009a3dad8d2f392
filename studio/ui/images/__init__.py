"""The Images tab (beside Video): ask an image model for pictures in the project's style, keep
or throw them away, preview sprite sheets as animations and tiles as repeats, and use them in
the game; the "Put me in the game" dialog."""
