"""Local model servers with a small context window, for tests of fitting requests to it.

`LocalModelServer(flavour, context=4096)` is the scripted chat server of `chat.py` that also
answers as one local server does about its window, and holds requests to it the way that
server does (each behaviour is cited where it is written):

- "llama.cpp": llama.cpp's `llama-server` (tools/server/README.md; server-context.cpp);
- "llama-cpp-python": the `llama_cpp.server` of llama-cpp-python (llama_cpp/server/app.py,
  llama_cpp/server/errors.py, llama_cpp/llama.py);
- "ollama": Ollama's OpenAI-compatible endpoint and `/api/show` (docs/api.md,
  docs/openai.md, docs/faq.md "How can I specify the context window size?");
- "lmstudio": LM Studio's REST API v0 (lmstudio.ai/docs/developer/rest/endpoints);
- "vllm": vLLM's OpenAI-compatible server (vllm/entrypoints/openai/serving_engine.py).

The server counts a request's tokens with Studio's own estimate times `token_scale` (1.2
by default: a tokenizer with a smaller vocabulary than the one Studio's count follows), plus
four tokens a message for the chat template, so a client that trusted its own count alone
would overshoot. An image part counts by OpenAI's published tile rule, from the picture's
own size (`image_part_tokens`).
"""

from __future__ import annotations

import base64
import io
import math
from typing import Any

from PIL import Image

from studio.ai.tokens import count_tokens
from studio.testing.servers.chat import ChatServer, Scripted, _Handler, completion_body

__all__ = ["FLAVOURS", "LocalModelServer"]

FLAVOURS = ("llama.cpp", "llama-cpp-python", "ollama", "lmstudio", "vllm")
TEMPLATE_TOKENS = 4  # what a chat template adds around each message (roughly)


class LocalModelServer(ChatServer):
    def __init__(
        self,
        flavour: str,
        context: int = 4_096,
        *,
        models: tuple[str, ...] = ("local-model",),
        token_scale: float = 1.2,
        ollama_num_ctx: int | None = None,
        vision: bool | None = None,
    ) -> None:
        if flavour not in FLAVOURS:
            raise ValueError(f"flavour must be one of {FLAVOURS}")
        super().__init__(models, context_length=None)
        self._handler = _LocalHandler
        self.flavour = flavour
        self.context = context
        self.token_scale = token_scale
        # Ollama: num_ctx written in the model's parameters (None: Ollama's default).
        self.ollama_num_ctx = ollama_num_ctx
        self.vision = vision  # whether the model reads images (None: the server does not say)
        self.prompt_tokens_seen: list[int] = []

    def count(self, messages: list[dict[str, Any]]) -> int:
        return sum(self._content(m.get("content", "")) + TEMPLATE_TOKENS for m in messages)

    def _content(self, content: Any) -> int:
        if not isinstance(content, list):  # text, or an array of parts (text and images)
            return count_tokens(str(content), self.token_scale)
        return sum(
            image_part_tokens(p)
            if p.get("type") == "image_url"
            else count_tokens(str(p.get("text", "")), self.token_scale)
            for p in content
            if isinstance(p, dict)
        )


def image_part_tokens(part: dict[str, Any]) -> int:
    """An image part as OpenAI's published rule counts it (platform.openai.com/docs/guides/
    images-vision, "Calculating costs", for the tile-based gpt-4o and gpt-4.1 models): at
    detail "low", 85 tokens; otherwise the picture is scaled to fit within 2048×2048, then so
    that its shortest side is 768 px (never enlarged), and costs 85 tokens plus 170 for each
    512 px tile. The size is read from the picture itself, as a server would."""
    image = part.get("image_url") or {}
    if image.get("detail") == "low":
        return 85
    head, _, payload = str(image.get("url", "")).partition(",")
    if not (head.startswith("data:image/") and head.endswith(";base64")):
        raise ValueError("the test servers take data: URLs only")
    with Image.open(io.BytesIO(base64.b64decode(payload))) as picture:
        width, height = picture.size
    scale = min(1.0, 2048 / max(width, height))
    width, height = width * scale, height * scale
    scale = min(1.0, 768 / min(width, height))
    width, height = width * scale, height * scale
    return 85 + 170 * math.ceil(width / 512) * math.ceil(height / 512)


def _maximum_context(prompt: int, window: int, max_tokens: Any) -> str:
    """The words vLLM and llama-cpp-python (which copied OpenAI's) use for a long request."""
    return (
        f"This model's maximum context length is {window} tokens. However, you requested "
        f"{prompt + (max_tokens or 0)} tokens ({prompt} in the messages, {max_tokens} in the "
        "completion). Please reduce the length of the messages or completion."
    )


class _LocalHandler(_Handler):
    owner: LocalModelServer

    # -- what the server says about its window --------------------------------------------

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        owner, path = self.owner, self.path.split("?")[0].rstrip("/")
        if owner.flavour == "llama.cpp" and path == "/props":
            # llama-server's GET /props: the loaded slot's settings, n_ctx among them.
            self._record(None)
            settings = {"n_ctx": owner.context, "temperature": 0.8, "n_predict": -1}
            props: dict[str, Any] = {"default_generation_settings": settings, "total_slots": 1}
            if owner.vision is not None:  # README: "modalities": {"vision": false}
                props["modalities"] = {"vision": owner.vision}
            self._send_json(200, props)
            return
        if owner.flavour == "lmstudio" and path == "/api/v0/models":
            # LM Studio REST API v0: every downloaded model, with its state and contexts.
            self._record(None)
            data = [
                {
                    "id": m,
                    "object": "model",
                    "type": "vlm" if owner.vision else "llm",
                    "publisher": "lmstudio-community",
                    "arch": "llama",
                    "compatibility_type": "gguf",
                    "quantization": "Q4_K_M",
                    "state": "loaded",
                    "max_context_length": 131_072,
                    "loaded_context_length": owner.context,
                }
                for m in owner.models
            ]
            self._send_json(200, {"object": "list", "data": data})
            return
        if owner.flavour == "ollama" and path == "/api/version":
            # Ollama's GET /api/version (docs.ollama.com/api-reference/get-version).
            self._record(None)
            self._send_json(200, {"version": "0.12.6"})
            return
        if owner.flavour == "vllm" and path == "/version":
            # vLLM's GET /version (vllm/entrypoints/openai/api_server.py, `show_version`).
            self._record(None)
            self._send_json(200, {"version": "0.11.0"})
            return
        listing = path in ("/v1/models", "/models")  # each server lists its models there only
        if path.endswith("/models") and not listing:
            self._record(None)
            self._send_json(404, {"error": {"message": f"no route {self.path}"}})
            return
        if listing and owner.flavour in ("llama.cpp", "vllm"):
            self._record(None)
            data = [self._model_entry(m) for m in owner.models]
            self._send_json(200, {"object": "list", "data": data})
            return
        super().do_GET()

    def _model_entry(self, model: str) -> dict[str, Any]:
        entry: dict[str, Any] = {"id": model, "object": "model", "created": 0, "owned_by": "me"}
        if self.owner.flavour == "llama.cpp":
            # llama-server's /v1/models: `meta` tells what the model was trained on, not the
            # window loaded now (that is /props), so a client must not take it for that.
            entry["meta"] = {"n_ctx_train": 131_072, "n_vocab": 128_256}
        else:  # vLLM's ModelCard: max_model_len is the window it serves
            entry["max_model_len"] = self.owner.context
        return entry

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        path = self.path.split("?")[0].rstrip("/")
        if self.owner.flavour == "ollama" and path == "/api/show":
            body = self._read_body()
            self._record(body)
            self._send_json(200, self._ollama_show())
            return
        if path == "/tokenize" and self.owner.flavour in ("llama.cpp", "vllm"):
            body = self._read_body()
            self._record(body)
            body = body if isinstance(body, dict) else {}
            text = str(body.get("content", body.get("prompt", "")))
            n = count_tokens(text, self.owner.token_scale)
            if self.owner.flavour == "llama.cpp":
                # llama-server's POST /tokenize {"content"}: {"tokens": [ids...]}.
                self._send_json(200, {"tokens": list(range(n))})
            else:  # vLLM's POST /tokenize {"model", "prompt"}: count, max_model_len, tokens
                answer = {"count": n, "max_model_len": self.owner.context, "tokens": [0] * n}
                self._send_json(200, answer)
            return
        if path.endswith("/chat/completions"):
            self._chat()
            return
        super().do_POST()

    def _ollama_show(self) -> dict[str, Any]:
        # Ollama's POST /api/show: `parameters` is the Modelfile's PARAMETER lines as text,
        # `model_info` the GGUF metadata, whose <arch>.context_length is the model's most.
        params = 'stop "<|eot_id|>"'
        if self.owner.ollama_num_ctx is not None:
            params = f"num_ctx {self.owner.ollama_num_ctx}\n{params}"
        show: dict[str, Any] = {
            "modelfile": "FROM local-model",
            "parameters": params,
            "template": "{{ .Prompt }}",
            "details": {"family": "llama", "parameter_size": "3.2B"},
            "model_info": {"general.architecture": "llama", "llama.context_length": 131_072},
        }
        if self.owner.vision is not None:  # docs/api.md: "capabilities": ["completion", …]
            show["capabilities"] = ["completion", *(["vision"] if self.owner.vision else [])]
        return show

    # -- chat requests held to the window -------------------------------------------------

    def _chat(self) -> None:
        body = self._read_body()
        self._record(body)
        body = body if isinstance(body, dict) else {}
        owner = self.owner
        prompt = owner.count(body.get("messages") or [])
        owner.prompt_tokens_seen.append(prompt)
        window = owner.context
        if owner.flavour == "ollama":
            window = owner.ollama_num_ctx or 4_096  # docs/faq.md: the default num_ctx
        streaming = bool(body.get("stream"))
        max_tokens = body.get("max_tokens") or body.get("max_completion_tokens")
        if prompt >= window:
            refused = self._refuse(prompt, window, max_tokens, streaming)
            if refused:
                return
            prompt = window  # Ollama: "truncating input prompt", and it answers anyway
        scripted = owner._next()
        if scripted.usage is not None:
            scripted.usage = (prompt, scripted.usage[1])
        try:
            if scripted.status != 200:
                self._send_json(scripted.status, scripted.error or {}, scripted.headers)
            elif streaming:
                self._stream(scripted, body)
            else:
                self._whole(scripted, body)
        except (BrokenPipeError, ConnectionResetError):
            owner.disconnects += 1
            self.close_connection = True

    def _refuse(self, prompt: int, window: int, max_tokens: Any, streaming: bool) -> bool:
        """Answer a request longer than the window as this server does; False: it does not
        refuse (Ollama cuts the prompt and goes on)."""
        flavour = self.owner.flavour
        if flavour == "llama.cpp":
            # server-context.cpp: ERROR_TYPE_EXCEED_CONTEXT_SIZE, before any streaming.
            message = (
                f"request ({prompt} tokens) exceeds the available context size "
                f"({window} tokens), try increasing it"
            )
            error = {
                "code": 400,
                "message": message,
                "type": "exceed_context_size_error",
                "n_prompt_tokens": prompt,
                "n_ctx": window,
            }
            self._send_json(400, {"error": error})
        elif flavour == "llama-cpp-python":
            if streaming:
                # app.py answers a stream with EventSourceResponse at once; llama.py raises
                # "Requested tokens (...) exceed context window of ..." inside the generator,
                # which get_event_publisher does not catch: the stream ends with no event.
                self._empty_stream()
            else:
                # errors.py's context_length_exceeded formatter (RouteErrorHandler).
                body = {
                    "error": {
                        "message": _maximum_context(prompt, window, max_tokens),
                        "type": "invalid_request_error",
                        "param": "messages",
                        "code": "context_length_exceeded",
                    }
                }
                self._send_json(400, body)
        elif flavour == "lmstudio":
            # LM Studio's own words when the prompt overflows the loaded context, sent as an
            # error event inside the stream.
            message = (
                f"Trying to keep the first {prompt} tokens when context the overflows. "
                f"However, the model is loaded with context length of only {window} tokens, "
                "which is not enough. Try to load the model with a larger context length, or "
                "provide a shorter input"
            )
            self._error_event(message)
        elif flavour == "vllm":
            # serving_engine.py _validate_input: a 400 ErrorResponse.
            body = {
                "object": "error",
                "message": _maximum_context(prompt, window, max_tokens),
                "type": "BadRequestError",
                "param": None,
                "code": 400,
            }
            self._send_json(400, body)
        else:
            return False
        return True

    def _open_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _empty_stream(self) -> None:
        self._open_stream()
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _error_event(self, message: str) -> None:
        self._open_stream()
        self._event({"error": {"message": message}})
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _whole(self, scripted: Scripted, body: dict[str, Any]) -> None:
        """A non-streamed completion (`stream` false)."""
        self._send_json(200, completion_body(scripted, body))
