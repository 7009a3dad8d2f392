"""A chat provider for any OpenAI-compatible service, streaming through the `openai` client."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import openai

from studio.ai.context_window import (
    ContextWindow,
    discover,
    learn,
    parse_context_error,
    server_tokens,
)
from studio.ai.errors import GenerationError, parse_retry_after, scrub
from studio.ai.providers import ChatChunk, ChatDone, ChatMessage, TextDelta, Usage, WaitCallback
from studio.ai.tool_calls import ToolCallAssembler, ToolTurn, turn_from_completion

__all__ = ["DEFAULT_BASE_URL", "OpenAIChatProvider"]

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.openai.com/v1"
PROBE_TIMEOUT = 10.0  # seconds the one-token question after an empty stream may take
_UNSUPPORTED = re.compile(
    r"unsupported|unrecognized|unknown|not supported|not permitted|extra inputs|not allowed"
    r"|invalid",
    re.IGNORECASE,
)


class OpenAIChatProvider:
    """Streams chat completions from `base_url` (OpenAI, a gateway, or a local server).

    `api_key` and `base_url` default to OPENAI_API_KEY and OPENAI_BASE_URL. The key never
    appears in an error message or log line: every text that leaves is scrubbed.
    Rate limits (429) before the first token are retried up to `max_rate_limit_retries`
    times, waiting as long as `Retry-After` says (at most `max_retry_wait` seconds) or
    backing off exponentially from `backoff` seconds.
    """

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 60.0,
        name: str = "openai",
        max_rate_limit_retries: int = 3,
        max_retry_wait: float = 60.0,
        backoff: float = 1.0,
    ) -> None:
        self.name = name
        self.base_url = base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL
        key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY")
        self._secrets = [key]
        self.timeout = timeout
        self.max_rate_limit_retries = max_rate_limit_retries
        self.max_retry_wait = max_retry_wait
        self.backoff = backoff
        # Local servers often need no key, but the client insists on one.
        self._client = openai.AsyncOpenAI(
            base_url=self.base_url,
            api_key=key or "no-key",
            timeout=timeout,
            max_retries=0,
        )

    def __repr__(self) -> str:
        return f"OpenAIChatProvider(name={self.name!r}, host={self._host!r})"

    @property
    def _host(self) -> str:
        parts = urlsplit(self.base_url)
        if not parts.hostname:
            return self._scrub(self.base_url)
        return parts.hostname + (f":{parts.port}" if parts.port else "")

    async def aclose(self) -> None:
        await self._client.close()

    # -- models ---------------------------------------------------------------------------

    async def list_models(self) -> list[str]:
        error: GenerationError | None = None
        try:
            return sorted([model.id async for model in self._client.models.list()])
        except openai.OpenAIError as err:
            error = self._map(err, model=None)
        raise error

    # -- chat -----------------------------------------------------------------------------

    async def stream_chat(
        self,
        messages: list[ChatMessage],
        *,
        model: str,
        temperature: float | None = None,
        max_tokens: int | None = None,
        on_wait: WaitCallback | None = None,
    ) -> AsyncIterator[ChatChunk]:
        started = time.monotonic()
        stream = await self._open(messages, model, temperature, max_tokens, on_wait)
        ttft: float | None = None
        finish: str | None = None
        usage: Usage | None = None
        error: GenerationError | None = None
        try:
            async for chunk in stream:
                if chunk.usage is not None:
                    usage = Usage(
                        chunk.usage.prompt_tokens or 0, chunk.usage.completion_tokens or 0
                    )
                for choice in chunk.choices or ():
                    if choice.index:
                        continue
                    text = choice.delta.content if choice.delta else None
                    if text:
                        if ttft is None:
                            ttft = time.monotonic() - started
                        yield TextDelta(text)
                    if choice.finish_reason:
                        finish = choice.finish_reason
        except openai.OpenAIError as err:
            error = self._map_mid_stream(err, model, got_text=ttft is not None)
        finally:
            await stream.close()
        if error is None and ttft is None and finish is None:
            error = await self._why_empty(messages, model)
        if error is not None:
            log.info("chat stream from %s failed: %s", self._host, error.message)
            raise error
        yield ChatDone(finish, usage, ttft, time.monotonic() - started)

    async def _open(
        self,
        messages: list[ChatMessage],
        model: str,
        temperature: float | None,
        max_tokens: int | None,
        on_wait: WaitCallback | None,
    ) -> Any:
        params = self._request(messages, model, temperature, max_tokens)
        return await self._create(params, model, on_wait)

    @staticmethod
    def _request(
        messages: list[Any],
        model: str,
        temperature: float | None,
        max_tokens: int | None,
        *,
        stream: bool = True,
    ) -> dict[str, Any]:
        params: dict[str, Any] = {"model": model, "messages": messages, "stream": stream}
        if stream:
            params["stream_options"] = {"include_usage": True}
        if temperature is not None:
            params["temperature"] = temperature
        if max_tokens is not None:
            params["max_tokens"] = max_tokens
        return params

    async def _create(
        self, params: dict[str, Any], model: str, on_wait: WaitCallback | None
    ) -> Any:
        """Send a chat request: rate limits waited out, unsupported parameters dropped."""
        attempt = 0
        adjusted: set[str] = set()
        while True:
            wait: float | None = None
            try:
                return await self._client.chat.completions.create(**params)
            except openai.RateLimitError as err:
                error = self._map(err, model)
                wait = self._rate_limit_wait(err, error, attempt)
            except openai.BadRequestError as err:
                if self._drop_unsupported(err, params, adjusted):
                    continue
                error = self._map(err, model)
            except openai.OpenAIError as err:
                error = self._map(err, model)
            # Raised here, outside the handler, so the client's exception (which may quote
            # the request) is not chained to ours.
            if wait is None:
                log.info("chat request to %s failed: %s", self._host, error.message)
                raise error
            attempt += 1
            log.info("rate limited by %s; waiting %.1f s (attempt %d)", self._host, wait, attempt)
            if on_wait is not None:
                on_wait(wait)
            await asyncio.sleep(wait)

    async def tool_turn(
        self,
        messages: list[dict[str, Any]],
        *,
        model: str,
        tools: list[dict[str, Any]],
        stream: bool = True,
        temperature: float | None = None,
        max_tokens: int | None = None,
        on_wait: WaitCallback | None = None,
    ) -> ToolTurn:
        """One assistant turn that may call `tools`, streamed or not (`studio.ai.tool_calls`
        says how calls arrive)."""
        started = time.monotonic()
        params = self._request(messages, model, temperature, max_tokens, stream=stream)
        params["tools"] = tools
        answer = await self._create(params, model, on_wait)
        if not stream:
            turn = turn_from_completion(answer)
            turn.total_time = turn.ttft = time.monotonic() - started
            return turn
        turn, calls, text = ToolTurn(), ToolCallAssembler(), []
        error: GenerationError | None = None
        try:
            async for chunk in answer:
                if chunk.usage is not None:
                    turn.usage = Usage(
                        chunk.usage.prompt_tokens or 0, chunk.usage.completion_tokens or 0
                    )
                for choice in chunk.choices or ():
                    delta = choice.delta
                    if choice.index or delta is None:
                        continue
                    pieces = getattr(delta, "tool_calls", None)
                    if (delta.content or pieces) and turn.ttft is None:
                        turn.ttft = time.monotonic() - started
                    if delta.content:
                        text.append(delta.content)
                    if pieces:
                        calls.feed(pieces)
                    if choice.finish_reason:
                        turn.finish_reason = choice.finish_reason
        except openai.OpenAIError as err:
            error = self._map_mid_stream(err, model, got_text=turn.ttft is not None)
        finally:
            await answer.close()
        if error is not None:
            log.info("tool-calling stream from %s failed: %s", self._host, error.message)
            raise error
        turn.text, turn.calls = "".join(text), calls.calls()
        turn.total_time = time.monotonic() - started
        return turn

    async def _why_empty(self, messages: list[ChatMessage], model: str) -> GenerationError:
        """The stream ended with no text and no end: ask once more, without streaming and
        for one token, because some servers (llama-cpp-python) only say why outside a
        stream; one that refuses a request too long for its window does so at once."""
        try:
            await self._client.chat.completions.create(
                model=model, messages=messages, max_tokens=1, stream=False, timeout=PROBE_TIMEOUT
            )
        except openai.OpenAIError as err:
            error = self._map(err, model)
            if error.kind == "context_too_long":
                return error
        return GenerationError(
            "empty",
            f"{self._host} ended the answer without sending any text or saying why. "
            "Its own log says more; a request longer than the model's context window is "
            "a common cause.",
        )

    @property
    def _auth(self) -> dict[str, str]:
        key = self._secrets[0]
        return {"Authorization": f"Bearer {key}"} if key else {}

    async def context_window(self, model: str) -> ContextWindow | None:
        """What the server says `model`'s context window is (None: it does not say)."""
        return await discover(self.base_url, model, headers=self._auth)

    async def count_tokens(self, model: str, text: str) -> int | None:
        """The tokens `model`'s server cuts `text` into, where it can say (None: it cannot)."""
        return await server_tokens(self.base_url, model, text, headers=self._auth)

    def _rate_limit_wait(
        self, err: openai.RateLimitError, error: GenerationError, attempt: int
    ) -> float | None:
        """Seconds to wait before trying again, or None to give up."""
        if err.code == "insufficient_quota" or attempt >= self.max_rate_limit_retries:
            return None
        wait = error.retry_after
        if wait is None:
            wait = self.backoff * 2**attempt
        return wait if wait <= self.max_retry_wait else None

    @staticmethod
    def _drop_unsupported(
        err: openai.BadRequestError, params: dict[str, Any], adjusted: set[str]
    ) -> bool:
        """Some compatible servers reject a parameter: adjust once and try again."""
        text = f"{err.message} {err.param or ''}"
        if not _UNSUPPORTED.search(text):
            return False
        for name in ("stream_options", "max_tokens", "temperature"):
            if name in params and name not in adjusted and name in text:
                adjusted.add(name)
                value = params.pop(name)
                if name == "max_tokens":
                    params["max_completion_tokens"] = value
                return True
        return False

    # -- errors ---------------------------------------------------------------------------

    def _scrub(self, text: str) -> str:
        return scrub(text, self._secrets)

    def _detail(self, err: openai.OpenAIError) -> str:
        message = getattr(err, "message", None) or str(err)
        body = getattr(err, "body", None)
        if isinstance(body, dict) and isinstance(body.get("message"), str):
            message = body["message"]
        message = re.sub(r"^Error code: \d+ - ", "", message)
        message = " ".join(self._scrub(message).split())
        return message[:300] + ("…" if len(message) > 300 else "")

    def _map(self, err: openai.OpenAIError, model: str | None) -> GenerationError:
        host = self._host
        if isinstance(err, openai.APITimeoutError):
            return GenerationError(
                "timeout", f"{host} did not answer within {self.timeout:g} seconds."
            )
        if isinstance(err, openai.APIConnectionError):
            return GenerationError(
                "connection", f"Could not connect to {host}: is the address right and online?"
            )
        if not isinstance(err, openai.APIStatusError):
            if isinstance(err, openai.APIError):
                detail = self._detail(err)
                if parse_context_error(detail):  # an error event inside the stream
                    return self._too_long(model, detail)
                return GenerationError("server", f"{host} reported an error: {detail}")
            return GenerationError("auth", f"Cannot use {host}: {self._detail(err)}")
        status, detail = err.status_code, self._detail(err)
        said = f" It said: {detail}" if detail else ""
        if status in (401, 403):
            return GenerationError(
                "auth", f"{host} refused the API key ({status}). Check the key.{said}"
            )
        if status == 404:
            what = f"The model “{model}”" if model else "The model list"
            return GenerationError(
                "unknown_model",
                f"{what} was not found at {host} (404): check the model name and base URL.{said}",
            )
        too_long = err.code == "context_length_exceeded" or parse_context_error(detail)
        if status == 413 or (status in (400, 500) and too_long):
            return self._too_long(model, detail)
        if status == 429:
            headers = err.response.headers
            retry_after = parse_retry_after(
                headers.get("retry-after"), value_ms=headers.get("retry-after-ms")
            )
            if err.code == "insufficient_quota":
                quota = f"{host}: the account has no quota left.{said}"
                return GenerationError("rate_limited", quota)
            wait = f" Try again in {retry_after:.0f} s." if retry_after else ""
            return GenerationError(
                "rate_limited", f"{host} is rate limiting requests (429).{wait}{said}", retry_after
            )
        if status >= 500:
            return GenerationError("server", f"{host} had a server error ({status}).{said}")
        return GenerationError("bad_request", f"{host} rejected the request ({status}).{said}")

    def _too_long(self, model: str | None, detail: str) -> GenerationError:
        """A request longer than the model's context window, in the server's words; the
        window it names is remembered for the next request."""
        asked, window = parse_context_error(detail) or (None, None)
        if window and model:
            said = ContextWindow(window, f"what {self._host} said when it refused a request")
            learn(self.base_url, model, window=said)
        numbers = (
            f" It needs about {asked:,} tokens; the window holds {window:,}."
            if asked and window
            else ""
        )
        return GenerationError(
            "context_too_long",
            f"The request is longer than the model's context window.{numbers} "
            f"{self._host} said: {detail}",
        )

    def _map_mid_stream(
        self, err: openai.OpenAIError, model: str, *, got_text: bool
    ) -> GenerationError:
        if isinstance(err, openai.APIConnectionError) and got_text:
            why = "stopped sending" if isinstance(err, openai.APITimeoutError) else "dropped"
            return GenerationError(
                "cut_off", f"The connection to {self._host} {why} before the answer was complete."
            )
        return self._map(err, model)
