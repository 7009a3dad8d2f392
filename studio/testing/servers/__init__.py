"""Local HTTP servers on 127.0.0.1 that speak the services' real protocols, for tests of
providers (Studio's own and plugins'): `chat` (OpenAI-compatible chat completions with
server-sent events), `video` (the OpenAI Videos API), `images` (the OpenAI Images API, its
pictures drawn by `image_paint`), `replicate` (Replicate's predictions
and files API), `runway` (Runway's API), `luma` (Luma's Dream Machine API), `media` (what
servers of media services share: result URLs, scripted failures) and `base` (what they all
share, for a server of another protocol).

They ship with Studio so plugin authors can use them (`studio.testing.fixtures` offers them
as fixtures). No Qt (`video.server_clip` has ffmpeg make its clip; `images` draws with
Pillow).
"""
