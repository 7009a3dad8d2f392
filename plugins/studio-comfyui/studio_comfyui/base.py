"""What the video and the picture provider share: their options, the workflow a model names
(a template, or the person's own file), the checks of what a request brings against what
the workflow marks, Test connection and closing."""

from __future__ import annotations

import random
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from studio.ai.services import ServiceError
from studio_comfyui.jobs import ComfyJobs
from studio_comfyui.templates import CUSTOM, load_template, template_names
from studio_comfyui.workflow import Workflow, WorkflowError

__all__ = ["ComfyProvider", "new_seed", "pick_options"]


class ComfyProvider:
    """Options: `base_url` (default http://127.0.0.1:8188), `model` (a template, or `custom`
    with `workflow`, the path of the person's workflow exported with Export (API)),
    `api_key` / `key_name` (a token for a login in front of ComfyUI), `timeout` (HTTP),
    `poll_interval` (between polls without the websocket), `poll_wait` (how long one poll
    waits on the websocket for news).

    Making one does no I/O: the HTTP client and the websocket are made at the first call.
    """

    kind: ClassVar[str]  # "video" or "image": which templates it offers
    default_model: ClassVar[str]
    error: ClassVar[type[ServiceError]]
    # What the pictures a request may bring are called, by the mark of their Load Image.
    pictures: ClassVar[dict[str, str]]

    def __init__(
        self,
        *,
        name: str,
        base_url: str | None = None,
        model: str | None = None,
        workflow: str | None = None,
        api_key: str | None = None,
        key_name: str | None = None,
        timeout: float = 30.0,
        poll_interval: float = 1.0,
        poll_wait: float = 2.0,
    ) -> None:
        self.name = name
        self.workflow_path = Path(workflow).expanduser() if workflow else None
        self.model = model or (CUSTOM if self.workflow_path else self.default_model)
        self.jobs = ComfyJobs(
            base_url=base_url,
            api_key=api_key,
            key_name=key_name,
            timeout=timeout,
            poll_interval=poll_interval,
            poll_wait=poll_wait,
            error=self.error,
        )
        self._models = template_names(self.kind) + ((CUSTOM,) if self.workflow_path else ())
        self._custom: Workflow | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, base_url={self.jobs.base_url!r})"

    def workflow(self, model: str | None, *, with_image: bool) -> Workflow:
        """The workflow `model` runs (its picture variant `with_image`, where it has one)."""
        model = model or self.model
        try:
            if model != CUSTOM:
                if model not in template_names(self.kind):
                    known = ", ".join(template_names(self.kind))
                    raise self.error(
                        "bad_request", f"Studio has no ComfyUI template {model!r}: pick {known}."
                    )
                return load_template(model, with_image=with_image)
            if self.workflow_path is None:
                raise self.error(
                    "bad_request",
                    "The model 'custom' needs a workflow: set the option `workflow` to your "
                    "workflow exported from ComfyUI with Export (API).",
                )
            if self._custom is None:
                self._custom = Workflow.load(self.workflow_path)
            return self._custom
        except WorkflowError as exc:
            raise self.error("bad_request", str(exc)) from None

    def check_pictures(self, workflow: Workflow, given: Mapping[str, Any]) -> None:
        """Refuse pictures the workflow has no input for, and no picture where it needs one."""
        for mark, picture in given.items():
            if picture and not workflow.marked(mark):
                raise self.error(
                    "unsupported",
                    f"The workflow {workflow.name} takes no {self.pictures[mark]}: mark a Load "
                    f'Image node "studio:{mark}" in ComfyUI to use one.',
                )
        if workflow.meta.get("needs_image") and not given.get("image"):
            raise self.error(
                "bad_request",
                f"{workflow.name} starts from a picture: give it a {self.pictures['image']}.",
            )

    async def check(self) -> None:
        """Test connection: one cheap call (`GET /system_stats`)."""
        await self.jobs.check()

    async def aclose(self) -> None:
        await self.jobs.aclose()


def new_seed(seed: int | None) -> int:
    """The seed asked for, or a new one: ComfyUI caches a node whose inputs did not change,
    so the same seed would hand back the same clip."""
    return seed if seed is not None else random.randrange(2**32)


_OPTIONS = {
    "name",
    "base_url",
    "model",
    "workflow",
    "api_key",
    "key_name",
    "timeout",
    "poll_interval",
    "poll_wait",
}


def pick_options(options: Mapping[str, Any], *extra: str) -> dict[str, Any]:
    """The options a provider takes; unknown ones are ignored (settings may hold others)."""
    return {k: v for k, v in options.items() if k in _OPTIONS or k in extra}
