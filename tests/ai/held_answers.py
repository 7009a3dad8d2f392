"""A Videos API provider whose submits reach the service but whose answers Studio gets
only when the test says: for closing and cancelling while the service takes a job."""

from __future__ import annotations

import asyncio

from studio.ai.video_openai import OpenAIVideoProvider


class HeldAnswers(OpenAIVideoProvider):
    """Its submits reach the service, whose answer is held back until `answered` is set."""

    def __init__(self, answered: asyncio.Event, **options) -> None:
        super().__init__(**options)
        self.answered = answered

    async def submit(self, request):
        remote_id = await super().submit(request)
        await self.answered.wait()
        return remote_id
