"""Qt-free picture work on Pillow, numpy and OpenCV, one small module each:

- `images`: reading pictures safely (damaged files, decompression bombs, EXIF rotation);
- `cutout`: cut-out without a model (key, flood, paper, GrabCut) with clean edges;
- `pixel`: pixelate to a sprite size, reduce to a palette, outline, trim;
- `palettes`: named palettes and reading one from typed text;
- `sheets` and `layout`: slicing sprite sheets into a regular grid anchored at the feet;
- `tiles`: seam check, backgrounds that repeat.

Failures raise `studio.media.errors.PictureError` (a MediaError), meant for a person. The
package imports nothing itself: OpenCV alone takes about 0.1 s to load, and the project
store, which reads picture metadata, should not pay for it at start-up.
"""
