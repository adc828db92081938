"""Reading Ollama's answers: a JSON object, newline-delimited JSON (a stream, or the progress of
a pull), an error said inside a stream that began with 200, a model's description."""

from __future__ import annotations

import json
from typing import Any

from interlink.core.errors import ExternalResourceNotFound, ExternalServiceError, InterlinkError
from interlink.providers.ollama.models import ModelDetails, PullOutput
from interlink.transport.response import ProviderResponse

Obj = dict[str, Any]
# What Ollama says, inside a stream, of a model its registry does not have.
MISSING = ("file does not exist", "not found")


def document(response: ProviderResponse) -> Obj:
    """The answer's JSON object."""
    try:
        found = response.json()
    except ValueError:
        raise garbled("an answer") from None
    if not isinstance(found, dict):
        raise garbled("an answer")
    return found


def garbled(what: str) -> ExternalServiceError:
    return ExternalServiceError(f"Ollama answered {what} that is not what its API gives")


def line(raw: str) -> Obj:
    """One line of a stream; `{"error": ...}` (a failure after the stream began) raises it."""
    try:
        found = json.loads(raw)
    except ValueError:
        raise garbled("a stream line") from None
    if not isinstance(found, dict):
        raise garbled("a stream line")
    if "error" in found:
        raise stream_error(str(found["error"]))
    return found


def cut_short() -> ExternalServiceError:
    return ExternalServiceError("Ollama's stream ended before its last line (done)")


def stream_error(message: str) -> InterlinkError:
    """Ollama's error said in a stream, as ours: a model its registry lacks is not found."""
    details = [{"provider_status": 200, "provider_message": message}]
    if any(words in message for words in MISSING):
        return ExternalResourceNotFound("Ollama has no such model", details=details)
    return ExternalServiceError("Ollama failed in the middle of its answer", details=details)


def vectors(answer: Obj, expected: int) -> list[list[float]]:
    """`/api/embed`'s `embeddings`: one list of numbers per text."""
    found = answer.get("embeddings")
    if not isinstance(found, list) or len(found) != expected:
        raise garbled("embeddings")
    if not all(isinstance(v, list) and all(_number(x) for x in v) for v in found):
        raise garbled("embeddings")
    return [[float(x) for x in vector] for vector in found]


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def model_details(name: str, answer: Obj) -> ModelDetails:
    """`/api/show`'s answer: `details`, `capabilities`, and the context length that
    `model_info` keeps under the architecture's name (`llama.context_length`)."""
    details, info = _object(answer, "details"), _object(answer, "model_info")
    context = info.get(f"{info.get('general.architecture')}.context_length")
    return ModelDetails.model_validate(
        {key: details.get(key) for key in ("family", "format", "parameter_size")}
        | {"quantization_level": details.get("quantization_level"),
           "parent_model": details.get("parent_model") or None,
           "families": details.get("families") or [],
           "capabilities": answer.get("capabilities") or [],
           "context_window": context if isinstance(context, int) else None,
           "model": name}
        | {key: answer.get(key) for key in ("parameters", "template", "system", "modified_at")}
    )  # fmt: skip


def _object(answer: Obj, key: str) -> Obj:
    found = answer.get(key)
    return found if isinstance(found, dict) else {}


class Progress:
    """A pull's progress lines followed to the end: the last status, the largest `completed`
    and `total` seen (each layer counts from zero again), and the bytes of all layers so far."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.status = ""
        self.completed: int | None = None
        self.total: int | None = None
        self._layers: dict[str, tuple[int, int]] = {}  # digest: (completed, total)

    def add(self, found: Obj, log: Any) -> None:
        status = str(found.get("status", ""))
        self.completed = _larger(self.completed, found.get("completed"))
        self.total = _larger(self.total, found.get("total"))
        self._count(found)
        if status != self.status:  # a new step: the log follows the pull as it runs
            log.info("ollama_pull_progress", model=self.model, status=status,
                     completed=found.get("completed"), total=found.get("total"))  # fmt: skip
        self.status = status

    def _count(self, found: Obj) -> None:
        layer, total = found.get("digest"), _larger(None, found.get("total"))
        if isinstance(layer, str) and total is not None:
            done = _larger(None, found.get("completed")) or 0  # Ollama leaves out a 0
            self._layers[layer] = (min(done, total), total)

    def bytes(self) -> tuple[int | None, int | None]:
        """The bytes downloaded and to download, over the layers announced so far."""
        if not self._layers:
            return None, None
        done, sizes = zip(*self._layers.values(), strict=True)
        return sum(done), sum(sizes)

    def result(self) -> PullOutput:
        if self.status != "success":
            raise ended_early("pull", self.status)
        return PullOutput(
            model=self.model, status=self.status, completed=self.completed, total=self.total
        )


def ended_early(what: str, status: str) -> ExternalServiceError:
    """A pull's or a create's progress that stopped before its `success` line."""
    return ExternalServiceError(
        f"Ollama's {what} ended before it said success",
        details=[{"provider_status": 200, "provider_message": status or "nothing"}],
    )


def _larger(seen: int | None, value: Any) -> int | None:
    if not isinstance(value, int) or isinstance(value, bool):
        return seen
    return value if seen is None else max(seen, value)
