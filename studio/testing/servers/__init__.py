"""Local HTTP servers on 127.0.0.1 that speak the services' real protocols, for tests of
providers (Studio's own and plugins'): `chat` (OpenAI-compatible chat completions with
server-sent events), `local_models` (local model servers), `video` (the OpenAI Videos API),
`images` (the OpenAI Images API, its pictures drawn by `image_paint`), `fal` (fal's queue,
storage and billing), `replicate` (Replicate's predictions and files API), `runway`
(Runway's API), `luma` (Luma's Dream Machine API), `veo` (Google's Veo and Gemini image
models), `comfyui` (ComfyUI's HTTP routes and progress websocket), `media` (what servers
of media services share: scripted failures under the same names, result files) and `base`
(what they all share, for a server of another protocol: request recording, JSON and file
answers, downloads cut off halfway).

They ship with Studio so plugin authors can use them (`studio.testing.fixtures` offers them
as fixtures). No Qt (`video.server_clip` has ffmpeg make its clip; `images` draws with
Pillow; `studio.testing.pictures.png` makes a plain picture).
"""
