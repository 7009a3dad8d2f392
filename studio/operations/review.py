"""Review before keeping (a Chat setting, off by default): an answer that changes files is
held before it becomes a version; the person keeps or drops it file by file. The generator
asks `Review(before, changed)` with the base version's texts and the answer's changed files
(path → new text) and waits; what comes back is the set of paths to keep (empty or None:
drop it all). Files dropped keep their old text in the new version."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping

from studio.ai.answer import GenerationResult

__all__ = ["Review", "hold_for_review"]

Review = Callable[[Mapping[str, str], Mapping[str, str]], Awaitable[Collection[str] | None]]


async def hold_for_review(
    review: Review, before: Mapping[str, str], result: GenerationResult
) -> list[str]:
    """Ask `review` about `result`'s changed files; narrow the result to those kept (its
    files and `changed`) and return the paths dropped."""
    changed = {p: result.files[p] for p in result.changed} if result.files else {}
    if not changed:
        return []
    kept = set(await review(dict(before), changed) or ())
    dropped = [p for p in result.changed if p not in kept]
    assert result.files is not None
    for path in dropped:
        if path in before:
            result.files[path] = before[path]
        else:
            result.files.pop(path, None)
    result.changed = [p for p in result.changed if p in kept]
    result.written = [p for p in result.written if p not in dropped]
    result.applied = [r for r in result.applied if r.block.path not in dropped]
    return dropped
