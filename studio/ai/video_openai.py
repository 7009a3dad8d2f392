"""The built-in video provider: the OpenAI Videos API (`client.videos`) at any base URL.

OpenAI shut its own Videos API and the Sora models down on 2026-09-24; the provider is
kept for gateways that still speak the API, and is named so in forms ("OpenAI-compatible
/v1/videos (gateways)"). A service that answers that the endpoint is gone (HTTP 410, a 404
for creating a video, or words such as "deprecated" or "shut down") gives a `VideoError`
of kind "gone" that says what to pick instead.

Endpoints used (through the `openai` client, never by hand):
`POST /videos` (multipart; `input_reference` is the image file), `GET /videos/{id}`,
`POST /videos/{id}/remix`, `POST /videos/extensions` (multipart, `video[id]`),
`GET /videos/{id}/content?variant=video|thumbnail|spritesheet`, `DELETE /videos/{id}`.

Polling: the service may say how long to wait with the `openai-poll-after-ms` header (the
one the `openai` package's own `videos.poll` honours) or `Retry-After`/`retry-after-ms`;
`VideoStatus.poll_after` carries it to the queue, which otherwise backs off by itself.

The API has no cancel call: `cancel` deletes the job on the service where it can (done or
failed jobs) and otherwise Studio just stops waiting for it.

Calls go through `with_raw_response` / `with_streaming_response` so the headers are
available. The `openai` package marks every `client.videos` call deprecated; that warning
is about OpenAI's own service, not the gateway, so it is silenced where the calls are made
(`_quiet_sora_warning`).

Making a provider is cheap and does no I/O (the UI makes one on the GUI thread to fill its
form): the `openai` package (about a second to import), the API key (a keyring look-up can
take a second on a desktop) and the HTTP client are set up on a worker thread the first
time a call needs them (`OpenAIVideoProvider.connect`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import secrets
import warnings
from collections.abc import Awaitable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from studio.ai.errors import parse_retry_after, scrub
from studio.ai.video_provider import (
    Variant,
    VideoCapabilities,
    VideoError,
    VideoPrice,
    VideoRequest,
    VideoStatus,
)

if TYPE_CHECKING:
    import openai

__all__ = [
    "DEFAULT_BASE_URL",
    "OpenAIVideoProvider",
    "capabilities",
    "create_provider",
    "resolve_api_key",
]

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.openai.com/v1"
ENV_KEY = "OPENAI_API_KEY"
POLL_HEADER = "openai-poll-after-ms"
LABEL = "OpenAI-compatible /v1/videos (gateways)"
GONE = (
    "The video service at {host} no longer offers the OpenAI /v1/videos API (OpenAI shut "
    "it down on 2026-09-24): pick another video service in the Video pane (Google Veo, fal, "
    "Replicate, Runway, Luma or your own ComfyUI), or a gateway that still speaks it."
)
# OpenAI's last public prices (platform.openai.com/docs/pricing, Video, 2025-10): sora-2
# $0.10 a second at 720p; sora-2-pro $0.30 a second at 720p, $0.50 at 1024x1792 and
# 1792x1024. A gateway charges its own: the person sets those in Settings › Video.
_PRO_LARGE = {"1792x1024": 0.5 / 0.3, "1024x1792": 0.5 / 0.3}
PRICES = {
    "sora-2": VideoPrice(per_second=0.10),
    "sora-2-pro": VideoPrice(per_second=0.30, resolution_factor=_PRO_LARGE),
}

_REJECTED = re.compile(r"moderation|safety|content[_ ]?polic|policy|blocked|refus", re.I)
_GONE = re.compile(
    r"deprecat|shut(?:ting)? ?down|discontinu|sunset|no longer (?:available|supported|offered)",
    re.I,
)
_QUOTA = re.compile(r"quota|billing|credit", re.I)
_MIME = {b"\x89PNG": "image/png", b"\xff\xd8\xff": "image/jpeg", b"RIFF": "image/webp"}


def _openai():
    """The `openai` package, imported on first use (it takes about a second)."""
    import openai

    return openai


def _quiet_sora_warning() -> None:
    """Ignore the `openai` package's deprecation warning on `client.videos` calls: it is
    about OpenAI's own (shut) service, and a person using a gateway cannot act on it.

    A filter is put first in the list before each call rather than `catch_warnings` around
    it: the warning is raised inside an awaited call, and `catch_warnings` is not safe for
    tasks that interleave. Re-adding an identical filter only moves it to the front."""
    warnings.filterwarnings("ignore", message="The Sora API", category=DeprecationWarning)


def _warm_up(client: openai.AsyncOpenAI) -> None:
    """Do here, on the worker thread, what the client would otherwise do lazily on the event
    loop's thread during the first call (some 50 ms of imports and model building)."""
    import importlib

    from openai.types import Video

    steps = (
        lambda: (client.videos.with_raw_response, client.videos.with_streaming_response),
        lambda: Video.model_rebuild(),
        # The HTTP stack's async backend is chosen, and imported, at the first request.
        lambda: importlib.import_module("anyio._backends._asyncio"),
        lambda: importlib.import_module("anyio._core._synchronization"),
    )
    for step in steps:
        with contextlib.suppress(Exception):  # only a head start
            step()


def capabilities(
    durations: tuple[int, ...] | list[int] | None = None,
    sizes: tuple[str, ...] | list[str] | None = None,
) -> VideoCapabilities:
    """What the provider offers with these options (no `openai` import, no I/O)."""
    return VideoCapabilities(
        durations=tuple(int(d) for d in durations) if durations else (4, 8, 12),
        sizes=tuple(sizes) if sizes else ("1280x720", "720x1280", "1792x1024", "1024x1792"),
        image_reference=True,
        remix=True,
        extend=True,
        extend_durations=(4, 8, 12, 16, 20),
        variants=("video", "thumbnail", "spritesheet"),
        remote_cancel=False,
        models=("sora-2", "sora-2-pro"),
        prices=PRICES,
    )


def resolve_api_key(
    provider: str = "openai", explicit: str | None = None, *, env_var: str | None = None
) -> str | None:
    """The key to send: given explicitly, else the one stored for `provider` (keyring or
    Studio's private key file, see `studio.config.keys`), else `env_var` / OPENAI_API_KEY.
    Never stored in a project or settings, never logged."""
    if explicit:
        return explicit
    from studio.config import keys

    return keys.resolve_api_key(provider, env_var=env_var)


class OpenAIVideoProvider:
    """Video jobs through `openai.AsyncOpenAI(base_url=..., api_key=...).videos`.

    Options (settings.json `video_providers.openai`, or flags): `base_url` (default
    OPENAI_BASE_URL or OpenAI's), `model`, `key_name` (whose stored key to use; default the
    provider's name), `api_key_env` (a variable holding the key), `durations` and `sizes`
    (what a gateway accepts, for the form), `timeout`, `download_timeout`, `max_retries`
    (the `openai` client's own retries of connection errors, 429 and 5xx).

    The key and the client are made by `connect()`, on a worker thread, before the first
    call; making the provider itself does no I/O.
    """

    label = LABEL

    def __init__(
        self,
        *,
        name: str = "openai",
        base_url: str | None = None,
        api_key: str | None = None,
        model: str | None = None,
        timeout: float = 60.0,
        download_timeout: float = 600.0,
        max_retries: int = 2,
        durations: tuple[int, ...] | list[int] | None = None,
        sizes: tuple[str, ...] | list[str] | None = None,
        key_name: str | None = None,
        api_key_env: str | None = None,
    ) -> None:
        self.name = name
        self.base_url = base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL
        self.model = model
        self.download_timeout = download_timeout
        self.capabilities = capabilities(durations, sizes)
        self._key_args = (key_name or name, api_key, api_key_env)
        self._client_args = {"timeout": timeout, "max_retries": max_retries}
        self._has_key = bool(api_key)
        self._secrets = [api_key]
        self._client: openai.AsyncOpenAI | None = None
        self._connecting: asyncio.Future[openai.AsyncOpenAI] | None = None

    def __repr__(self) -> str:
        return f"OpenAIVideoProvider(name={self.name!r}, host={self.host!r})"

    @property
    def host(self) -> str:
        parts = urlsplit(self.base_url)
        if not parts.hostname:
            return scrub(self.base_url, self._secrets)
        return parts.hostname + (f":{parts.port}" if parts.port else "")

    def capabilities_for(self, model: str | None = None) -> VideoCapabilities:
        """Every model the API serves takes the same lengths and sizes (a gateway's, when
        its options list them); prices differ by model (`capabilities.prices`)."""
        return self.capabilities

    def _make_client(self) -> openai.AsyncOpenAI:
        """Import `openai`, look the key up and make the client (blocking: a worker thread)."""
        openai = _openai()
        name, explicit, env_var = self._key_args
        key = resolve_api_key(name, explicit, env_var=env_var)
        self._has_key = bool(key)
        self._secrets.append(key)
        # Local gateways often need no key, but the client insists on one.
        client = openai.AsyncOpenAI(
            base_url=self.base_url, api_key=key or "no-key", **self._client_args
        )
        _warm_up(client)
        return client

    async def connect(self) -> openai.AsyncOpenAI:
        """The client, made on a worker thread the first time (calls wait for the same one)."""
        if self._client is not None:
            return self._client
        connecting = self._connecting
        if connecting is None or connecting.cancelled():
            connecting = asyncio.ensure_future(asyncio.to_thread(self._make_client))
            connecting.add_done_callback(lambda f: f.cancelled() or f.exception())
            self._connecting = connecting
        try:
            # Shielded: one caller cancelled (a job) must not cancel the others' client.
            client = await asyncio.shield(connecting)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if self._connecting is connecting:
                self._connecting = None  # the next call tries again
            reason = self._clean(str(exc).strip() or type(exc).__name__)
            raise VideoError(
                "unsupported", f"The video provider {self.name!r} cannot start: {reason}."
            ) from None
        self._client = client
        return client

    async def aclose(self) -> None:
        connecting, self._connecting = self._connecting, None
        client, self._client = self._client, None
        if client is None and connecting is not None and not connecting.cancelled():
            with contextlib.suppress(Exception):  # it failed: nothing to close
                client = await connecting
        if client is not None:
            await client.close()

    # -- jobs -----------------------------------------------------------------------------

    async def submit(self, request: VideoRequest) -> str:
        if not request.prompt.strip():
            raise VideoError("bad_request", "The prompt is empty: say what the clip should show.")
        body: dict[str, Any] = {"prompt": request.prompt}
        model = request.model or self.model
        if model:
            body["model"] = model
        if request.seconds:
            body["seconds"] = str(int(request.seconds))
        if request.size:
            body["size"] = request.size
        if request.image:
            mime = next((m for sig, m in _MIME.items() if request.image.startswith(sig)), None)
            body["input_reference"] = (
                request.image_name,
                request.image,
                mime or "application/octet-stream",
            )
        client = await self.connect()
        raw = await self._call(client.videos.with_raw_response.create(**body), "submit")
        return raw.parse().id

    async def poll(self, remote_id: str) -> VideoStatus:
        client = await self.connect()
        raw = await self._call(
            client.videos.with_raw_response.retrieve(remote_id), "poll", remote_id
        )
        video = raw.parse()
        error = code = None
        if video.status == "failed":
            code = video.error.code if video.error else None
            detail = video.error.message if video.error else None
            error = self._failure_text(code, detail)
        return VideoStatus(
            status=video.status,
            progress=max(0.0, min(1.0, float(video.progress or 0) / 100.0)),
            error=error,
            error_code=code,
            poll_after=_poll_after(raw.headers),
            expires_at=float(video.expires_at) if video.expires_at else None,
            seconds=_number(video.seconds),
            size=str(video.size) if video.size else None,
            model=str(video.model) if video.model else None,
        )

    async def download(self, remote_id: str, variant: Variant, dest: Path) -> Path:
        client = await self.connect()
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.{secrets.token_hex(4)}.part")
        try:
            _quiet_sora_warning()
            manager = client.videos.with_streaming_response.download_content(
                remote_id, variant=variant, timeout=self.download_timeout
            )
            try:
                async with manager as response:
                    with tmp.open("wb") as f:
                        async for chunk in response.iter_bytes():
                            f.write(chunk)
            except _openai().OpenAIError as exc:
                raise self._map(exc, "download", remote_id) from None
            if tmp.stat().st_size == 0:
                raise VideoError("server", f"The service sent an empty {variant} for {remote_id}.")
            os.replace(tmp, dest)
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
        return dest

    async def cancel(self, remote_id: str) -> None:
        """Best effort: the API deletes only finished jobs; a running one is left to finish."""
        try:
            client = await self.connect()
            await self._call(client.videos.with_raw_response.delete(remote_id), "cancel")
        except VideoError as exc:
            log.info("could not delete %s on %s: %s", remote_id, self.host, exc)

    async def check(self) -> None:
        """Test connection: list one video (`GET /videos?limit=1`), which needs the key."""
        client = await self.connect()
        await self._call(client.videos.with_raw_response.list(limit=1), "check")

    async def remix(self, remote_id: str, prompt: str) -> str:
        client = await self.connect()
        raw = await self._call(
            client.videos.with_raw_response.remix(remote_id, prompt=prompt),
            "remix",
            remote_id,
        )
        return raw.parse().id

    async def extend(self, remote_id: str, prompt: str, seconds: int) -> str:
        client = await self.connect()
        raw = await self._call(
            client.videos.with_raw_response.extend(
                prompt=prompt,
                seconds=str(int(seconds)),
                # The package refuses `video={"id": ...}` (it expects a file there), so the
                # reference goes in as the same `video[id]` form field it would have sent.
                video=_openai().omit,
                extra_body={"video": {"id": remote_id}},
            ),
            "extend",
            remote_id,
        )
        return raw.parse().id

    # -- errors ---------------------------------------------------------------------------

    async def _call(self, request: Awaitable[Any], action: str, remote_id: str = "") -> Any:
        _quiet_sora_warning()
        try:
            return await request
        except _openai().OpenAIError as exc:
            raise self._map(exc, action, remote_id) from None

    def _failure_text(self, code: str | None, detail: str | None) -> str:
        detail = scrub((detail or "").strip().rstrip("."), self._secrets)
        words = f"{code or ''} {detail}"
        if _REJECTED.search(words):
            return f"The service refused the prompt: {detail or code}."
        if detail and code:
            return f"The video failed on the service: {detail} ({code})."
        return f"The video failed on the service: {detail or code or 'no reason given'}."

    def _map(self, exc: openai.OpenAIError, action: str, remote_id: str = "") -> VideoError:
        """One sentence for each way a call fails, with the key scrubbed out."""
        openai, host = _openai(), self.host
        if isinstance(exc, openai.APITimeoutError):
            return VideoError("unreachable", f"The video service at {host} did not answer in time.")
        if isinstance(exc, openai.APIConnectionError):
            cause = exc.__cause__ or exc.__context__
            reason = f": {_short(cause)}" if cause else ""
            return VideoError(
                "unreachable", self._clean(f"Cannot reach the video service at {host}{reason}.")
            )
        if not isinstance(exc, openai.APIStatusError):
            return VideoError("server", self._clean(f"The video service at {host} failed: {exc}"))
        status = exc.status_code
        body = exc.body if isinstance(exc.body, Mapping) else {}
        code = str(body.get("code") or exc.code or "")
        detail = str(body.get("message") or "").strip().rstrip(".") or _status_text(status)
        detail = self._clean(detail)
        if status == 410 or _GONE.search(f"{code} {detail}"):
            return VideoError("gone", GONE.format(host=host))
        if status == 404 and action in ("submit", "check"):
            # Creating or listing videos is not a job that expired: the endpoint is not there.
            return VideoError("gone", GONE.format(host=host))
        if status == 401:
            hint = (
                f"store a key for {self.name!r} or set {ENV_KEY}"
                if not self._has_key
                else "check the key"
            )
            return VideoError(
                "auth", f"The video service at {host} refused the API key (401): {hint}."
            )
        if status == 403:
            return VideoError("auth", f"The video service at {host} does not allow this: {detail}.")
        if status == 429:
            if code == "insufficient_quota" or _QUOTA.search(detail):
                hint = "" if "billing" in detail else " Check the account's plan and billing."
                return VideoError("quota", f"Out of quota at {host}: {detail}.{hint}")
            wait = parse_retry_after(
                exc.response.headers.get("retry-after"),
                value_ms=exc.response.headers.get("retry-after-ms"),
            )
            return VideoError(
                "rate_limited",
                f"Too many requests to {host} for now: {detail}.",
                retry_after=wait,
            )
        if status == 404:
            if action == "download":
                return VideoError(
                    "expired",
                    f"The result of {remote_id} has expired on {host} (services delete results "
                    "after a while); generate it again.",
                )
            return VideoError(
                "not_found", f"{host} does not know the video {remote_id} (it may have expired)."
            )
        if status >= 500:
            return VideoError("server", f"The video service at {host} failed ({status}): {detail}.")
        if _REJECTED.search(f"{code} {detail}"):
            return VideoError("rejected", f"The service refused the prompt: {detail}.")
        return VideoError("bad_request", f"The service did not accept the {action}: {detail}.")

    def _clean(self, text: str) -> str:
        return scrub(text, self._secrets)


def _poll_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get(POLL_HEADER)
    if value:
        try:
            return max(0.0, float(value) / 1000.0)
        except ValueError:
            pass
    return parse_retry_after(headers.get("retry-after"), value_ms=headers.get("retry-after-ms"))


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _short(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    # httpx/OS messages like "[Errno 111] Connection refused" read fine without the number.
    return re.sub(r"^\[Errno -?\d+\]\s*", "", text.splitlines()[0])[:200]


def _status_text(status: int) -> str:
    return {400: "bad request", 422: "unprocessable request"}.get(status, f"HTTP {status}")


_OPTIONS = {
    "name",
    "base_url",
    "api_key",
    "model",
    "timeout",
    "download_timeout",
    "max_retries",
    "durations",
    "sizes",
    "key_name",
    "api_key_env",
}


def create_provider(options: Mapping[str, Any]) -> OpenAIVideoProvider:
    """The factory registered with the plugin host: unknown options are ignored."""
    return OpenAIVideoProvider(**{k: v for k, v in options.items() if k in _OPTIONS})
