"""A real HTTP server on 127.0.0.1 that speaks the OpenAI Images API, for tests.

Written from the API reference (developers.openai.com/api/docs/api-reference/images) and the
`openai` package that speaks it (`resources/images.py`, `types/images_response.py`,
`_utils/_utils.py:extract_files`):

- `POST /v1/images/generations` (JSON) and `POST /v1/images/edits` (multipart: the input
  pictures as `image`, or `image[]` when there are several, which is how the package names
  a list of files; an optional `mask` whose fully transparent pixels mark where to change
  the first picture, of the same size as it).
- Answers: `{"created", "data": [{"b64_json"} | {"url", "revised_prompt"}], "background",
  "output_format", "quality", "size", "usage"}`. GPT image models always answer `b64_json`
  and refuse `response_format` ("Unsupported for GPT image models"); `dall-e-3` (which OpenAI
  retired, as a gateway may still serve it) answers a `url` unless asked for `b64_json`, and
  rewrites the prompt (`revised_prompt`). URLs are served by this same server, without the
  key, as signed storage links are (`MediaServer.publish`), and can be made to expire
  (`expired`: 403, as such storage answers).
- `GET /v1/models` and `GET /v1/models/{id}`: what Test connection asks.
- Errors in OpenAI's shape `{"error": {"message", "type", "param", "code"}}` with the
  status codes the reference and the package's error classes use: 401 `invalid_api_key`;
  400 `moderation_blocked` of type `image_generation_user_error` (a refused prompt, for the
  words in `reject_words`); 400 `invalid_value` on `size` with the sizes the model takes;
  400 on `n`, `response_format`, `background`, a mask of another size, an input that is not
  a picture; 404 `model_not_found` for an unknown model and for a model that was shut down
  (`gone_models`, worded as OpenAI's notice: gpt-image-1 on 2026-10-23); 429
  `rate_limit_exceeded` with `retry-after` (the next `rate_limited` requests) and 429
  `insufficient_quota`; 500 (the next `fail_requests`).

The pictures are drawn by `studio.testing.servers.image_paint` (a figure in the prompt's
colour, a sprite sheet when the prompt asks for frames, an edit of the first input).

Usage (or the `studio_image_server` fixture of `studio.testing.fixtures`)::

    from studio.testing.servers.images import ImageServer

    with ImageServer() as server:
        ...  # a provider with base_url=server.base_url, api_key=server.api_key
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import io
import re
import time
from typing import Any

from PIL import Image, UnidentifiedImageError

from studio.testing.servers import image_paint
from studio.testing.servers.media import MediaHandler, MediaServer, Recorded

__all__ = ["GPT_SIZES", "MODELS", "ImageServer", "Recorded"]

GPT_SIZES = ("1024x1024", "1536x1024", "1024x1536")
# The models this server answers for, and the sizes each takes ("*": any multiple of 16).
MODELS: dict[str, tuple[str, ...]] = {
    "gpt-image-1.5": GPT_SIZES,
    "gpt-image-1-mini": GPT_SIZES,
    "gpt-image-2": ("*",),
    "gpt-image-2.5-flare": ("*",),
    "gpt-image-2.5-sunburst": ("*",),
    "gpt-image-1": GPT_SIZES,
    "dall-e-3": ("1024x1024", "1792x1024", "1024x1792"),
}
_LEGACY = {"dall-e-3"}  # takes `response_format`, answers URLs, one picture a request
_SIZE = re.compile(r"^(\d{2,5})x(\d{2,5})$")
_CODES = {401: "invalid_api_key", 429: "rate_limit_exceeded"}  # for MediaHandler's failures


class _Refused(Exception):
    """An error answer: status, body, headers."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None):
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}


def _error(
    status: int, message: str, code: str | None, *, param: str | None = None, kind: str = ""
) -> _Refused:
    kind = kind or "invalid_request_error"
    return _Refused(
        status, {"error": {"message": message, "type": kind, "param": param, "code": code}}
    )


class ImageServer(MediaServer):
    """Start with `start()` (or `with`); `base_url` ends in `/v1`. Beside `MediaServer`'s
    scripted failures: `gone_models`, `quota_exhausted`, `fail_requests` (the next n answer
    500) and `delay` (seconds each picture request takes)."""

    def __init__(self, *, api_key: str = "sk-test-image-key") -> None:
        super().__init__(_Handler, api_key=api_key)
        self.retry_after = 1
        self.gone_models: dict[str, str] = {
            "gpt-image-1": "GPT Image 1 was shut down on October 23, 2026. Use "
            "gpt-image-2.5-sunburst or gpt-image-2.5-flare instead."
        }
        self.quota_exhausted = False
        self.fail_requests = 0
        self.delay = 0.0

    def pictures_asked(self, path: str = "/v1/images") -> list[Recorded]:
        """The picture requests made (generations and edits), in order."""
        return self.calls("POST", path)


def _form(content_type: str, body: bytes) -> dict[str, Any]:
    """Multipart fields by name (files as dicts of `filename`, `content_type`, `data`); a
    field sent more than once, or named `x[]` (how the `openai` package sends a list of
    files), is a list."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = str(part.get_param("name", header="content-disposition") or "")
        payload = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        value: Any = (
            {"filename": filename, "content_type": part.get_content_type(), "data": payload}
            if filename is not None
            else payload.decode()
        )
        if name in fields:
            previous = fields[name]
            fields[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            fields[name] = [value] if name.endswith("[]") else value
    return fields


class _Handler(MediaHandler):
    owner: ImageServer
    unauthorised_message = "Incorrect API key provided."
    too_many_message = (
        "Rate limit reached for images per minute (IPM): Limit 5, Used 5, Requested 1."
    )

    def send_failure(
        self, status: int, message: str, headers: dict[str, str] | None = None
    ) -> None:
        kind = "requests" if status == 429 else "invalid_request_error"
        body = {"error": {"message": message, "type": kind, "param": None,
                          "code": _CODES.get(status)}}  # fmt: skip
        self._send_json(status, body, headers)

    def _fields(self, body: bytes) -> Any:
        kind = self.headers.get("Content-Type", "")
        if kind.startswith("multipart/form-data"):
            return _form(kind, body)
        return super()._fields(body)

    def route(self, method: str, parts: list[str], request: Recorded) -> None:
        try:
            if method == "GET" and parts == ["v1", "models"]:
                data = [_model_json(name) for name in MODELS]
                self._send_json(200, {"object": "list", "data": data})
            elif method == "GET" and parts[:2] == ["v1", "models"] and len(parts) == 3:
                self._send_json(200, _model_json(self._model(parts[2])))
            elif method == "POST" and parts in (
                ["v1", "images", "generations"],
                ["v1", "images", "edits"],
            ):
                self._pictures(request.fields, edit=parts[-1] == "edits")
            else:
                raise _error(404, f"Invalid URL ({method} {request.path})", None)
        except _Refused as refused:
            self._send_json(refused.status, refused.body, refused.headers)

    # -- checks, in the order the service makes them ---------------------------------------

    def _model(self, model: str) -> str:
        if model in self.owner.gone_models:
            raise _error(
                404,
                f"The model `{model}` has been shut down: {self.owner.gone_models[model]}",
                "model_not_found",
            )
        if model not in MODELS:
            raise _error(
                404,
                f"The model `{model}` does not exist or you do not have access to it.",
                "model_not_found",
            )
        return model

    def _limits(self) -> None:
        server = self.owner  # (its rate limit is MediaHandler's, before any route)
        if server.take("fail_requests"):
            raise _error(
                500,
                "The server had an error while processing your request.",
                None,
                kind="server_error",
            )
        if server.quota_exhausted:
            raise _error(
                429,
                "You exceeded your current quota, please check your plan and billing details.",
                "insufficient_quota",
                kind="insufficient_quota",
            )

    def _size(self, model: str, size: str) -> tuple[int, int]:
        allowed = MODELS[model]
        match = _SIZE.match(size)
        if match and (size in allowed or ("*" in allowed and _free_size(match))):
            return int(match.group(1)), int(match.group(2))
        listed = ", ".join(f"'{s}'" for s in allowed if s != "*")
        supported = (
            "width and height divisible by 16, up to 3840x2160, ratio at most 3:1"
            if "*" in allowed
            else f"{listed} and 'auto'"
        )
        raise _error(
            400,
            f"Invalid value: '{size}'. Supported values are: {supported}.",
            "invalid_value",
            param="size",
        )

    def _count(self, model: str, fields: dict[str, Any]) -> int:
        most = 1 if model in _LEGACY else 10
        try:
            n = int(fields.get("n") or 1)
        except (TypeError, ValueError):
            raise _error(
                400, "Invalid type for 'n': expected an integer.", "invalid_type", param="n"
            ) from None
        if not 1 <= n <= most:
            raise _error(
                400,
                f"Invalid 'n': expected a value between 1 and {most}, but got {n} instead.",
                "integer_out_of_range",
                param="n",
            )
        return n

    def _options(self, model: str, fields: dict[str, Any]) -> tuple[bool, str, str | None]:
        """(transparent, output format, response format) as the model takes them."""
        legacy = model in _LEGACY
        for name in ("background", "output_format") if legacy else ("response_format",):
            if fields.get(name) is not None:
                raise _error(400, f"Unknown parameter: '{name}'.", "unknown_parameter", param=name)
        output = str(fields.get("output_format") or "png")
        transparent = fields.get("background") == "transparent"
        if transparent and output not in ("png", "webp"):
            raise _error(
                400,
                "Transparent backgrounds need the png or webp output format.",
                "invalid_value",
                param="background",
            )
        response_format = str(fields.get("response_format") or "url") if legacy else None
        return transparent, output, response_format

    def _inputs(self, fields: dict[str, Any]) -> tuple[list[Image.Image], Image.Image | None]:
        given = fields.get("image", fields.get("image[]"))
        files = given if isinstance(given, list) else [given] if given is not None else []
        if not files:
            raise _error(
                400,
                "Missing required parameter: 'image'.",
                "missing_required_parameter",
                param="image",
            )
        if len(files) > 16:
            raise _error(400, "Too many images: at most 16.", "invalid_value", param="image")
        pictures = [_open(f, f"image {i + 1}") for i, f in enumerate(files)]
        mask_file = fields.get("mask")
        mask = _open(mask_file, "the mask") if mask_file is not None else None
        if mask is not None and mask.size != pictures[0].size:
            raise _error(
                400,
                "Invalid mask image: the mask and the image must have the same dimensions.",
                "invalid_image",
                param="mask",
            )
        return pictures, mask

    # -- the answer ----------------------------------------------------------------------

    def _pictures(self, fields: dict[str, Any], *, edit: bool) -> None:
        server = self.owner
        prompt = str(fields.get("prompt") or "")
        if not prompt:
            raise _error(
                400,
                "Missing required parameter: 'prompt'.",
                "missing_required_parameter",
                param="prompt",
            )
        model = self._model(str(fields.get("model") or "gpt-image-1.5"))
        self._limits()
        if edit and model in _LEGACY:
            raise _error(
                400,
                f"Invalid value: '{model}'. The edits endpoint takes GPT image models.",
                "invalid_value",
                param="model",
            )
        width, height = self._size(model, str(fields.get("size") or MODELS[model][0]))
        count = self._count(model, fields)
        transparent, output, response_format = self._options(model, fields)
        inputs, mask = self._inputs(fields) if edit else ([], None)
        if any(word in prompt.lower() for word in server.reject_words):
            raise _error(
                400,
                "Your request was rejected by the safety system. safety_violations=[violence].",
                "moderation_blocked",
                kind="image_generation_user_error",
            )
        if server.delay:
            time.sleep(server.delay)
        data = []
        for i in range(count):
            if inputs:
                picture = image_paint.edited(
                    inputs[0], prompt, width, height, transparent, mask, variant=i
                )
            else:
                picture = image_paint.paint(prompt, width, height, transparent, variant=i)
            encoded = image_paint.png_bytes(picture, output)
            if response_format == "url":
                url = server.publish(f"img-{i}.png", encoded, "image/png")
                data.append({"url": url, "revised_prompt": f"{prompt}."})
            elif response_format == "b64_json":
                item = {"b64_json": base64.b64encode(encoded).decode()}
                data.append({**item, "revised_prompt": f"{prompt}."})
            else:
                data.append({"b64_json": base64.b64encode(encoded).decode()})
        answer: dict[str, Any] = {"created": int(time.time()), "data": data}
        if model not in _LEGACY:
            tokens = width * height // 1024
            answer |= {
                "background": "transparent" if transparent else "opaque",
                "output_format": output,
                "quality": fields.get("quality") or "medium",
                "size": f"{width}x{height}",
                "usage": {
                    "input_tokens": len(prompt.split()) + 258 * len(inputs),
                    "input_tokens_details": {
                        "text_tokens": len(prompt.split()),
                        "image_tokens": 258 * len(inputs),
                    },
                    "output_tokens": tokens * count,
                    "total_tokens": len(prompt.split()) + 258 * len(inputs) + tokens * count,
                },
            }
        self._send_json(200, answer)


def _free_size(match: re.Match[str]) -> bool:
    """gpt-image-2's rule: both sides divisible by 16, at most 3840x2160, ratio up to 3:1."""
    w, h = int(match.group(1)), int(match.group(2))
    return (
        w % 16 == 0
        and h % 16 == 0
        and max(w, h) <= 3840
        and min(w, h) <= 2160
        and max(w, h) <= 3 * min(w, h)
    )


def _open(file: Any, what: str) -> Image.Image:
    if not isinstance(file, dict) or "data" not in file:
        raise _error(400, f"Invalid file for {what}: expected a file upload.", "invalid_value")
    try:
        picture = Image.open(io.BytesIO(file["data"]))
        picture.load()
    except (UnidentifiedImageError, OSError, ValueError):
        raise _error(
            400,
            f"Invalid image file or mode for {what}, please check your image file.",
            "invalid_image_file",
            kind="image_generation_user_error",
        ) from None
    return picture


def _model_json(name: str) -> dict[str, Any]:
    return {"id": name, "object": "model", "created": 1_700_000_000, "owned_by": "system"}
