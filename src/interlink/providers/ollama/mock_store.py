"""The Ollama mock's model store: the models the server holds, the registry's library it pulls
from, and each model as `/api/tags` and `/api/show` describe it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from interlink.providers.ollama.mock_answers import digest

Obj = dict[str, Any]
GIB = 1024**3


@dataclass(frozen=True)
class StoredModel:
    name: str
    family: str
    parameter_size: str
    size: int
    capabilities: tuple[str, ...]
    context_length: int
    quantization_level: str = "Q4_K_M"
    parent_model: str = ""
    system: str | None = None
    template: str = "{{ .System }}\n{{ .Prompt }}"
    parameters: Obj = field(default_factory=dict)
    modified_at: str = ""

    @property
    def digest(self) -> str:
        return digest(self.name, self.parent_model, self.system or "", str(self.parameters))

    @property
    def layers(self) -> list[tuple[str, int]]:
        """The blobs a pull downloads: the weights, then a small one (its template)."""
        return [(digest(self.name, "weights"), self.size), (digest(self.name, "template"), 1_024)]

    def details(self) -> Obj:
        return {"parent_model": self.parent_model, "format": "gguf", "family": self.family,
                "families": [self.family], "parameter_size": self.parameter_size,
                "quantization_level": self.quantization_level}  # fmt: skip

    def tag(self) -> Obj:
        """As `/api/tags` lists it."""
        return {"name": self.name, "model": self.name, "modified_at": self.modified_at,
                "size": self.size, "digest": self.digest.removeprefix("sha256:"),
                "details": self.details()}  # fmt: skip

    def shown(self) -> Obj:
        """As `/api/show` describes it."""
        shown: Obj = {
            "modelfile": self.modelfile(),
            "parameters": "\n".join(_parameter_lines(self.parameters)),
            "template": self.template,
            "details": self.details(),
            "model_info": {"general.architecture": self.family,
                           "general.parameter_count": _count(self.parameter_size),
                           f"{self.family}.context_length": self.context_length},
            "capabilities": list(self.capabilities),
            "modified_at": self.modified_at,
        }  # fmt: skip
        return shown | ({"system": self.system} if self.system else {})

    def modelfile(self) -> str:
        lines = [f"FROM {self.parent_model or self.name}", f'TEMPLATE """{self.template}"""']
        lines += [f'SYSTEM """{self.system}"""'] if self.system else []
        return "\n".join(lines + [f"PARAMETER {p}" for p in _parameter_lines(self.parameters)])

    def derived(
        self, name: str, system: Any, template: Any, parameters: Any, at: str
    ) -> StoredModel:
        """A custom model made from this one (`/api/create` with `from`)."""
        return replace(
            self, name=name, parent_model=self.name, modified_at=at,
            system=system if isinstance(system, str) else self.system,
            template=template if isinstance(template, str) else self.template,
            parameters=self.parameters | (parameters if isinstance(parameters, dict) else {}),
        )  # fmt: skip


def _parameter_lines(parameters: Obj) -> list[str]:
    lines: list[str] = []
    for name, value in parameters.items():
        values = value if isinstance(value, list) else [value]
        lines += [f'{name} "{v}"' if isinstance(v, str) else f"{name} {v}" for v in values]
    return lines


def _count(parameter_size: str) -> int:
    number, unit = float(parameter_size[:-1]), parameter_size[-1]
    return int(number * {"B": 10**9, "M": 10**6}.get(unit, 1))


CHAT = ("completion", "tools")
LIBRARY: dict[str, StoredModel] = {
    model.name: model
    for model in (
        StoredModel("llama3.2:latest", "llama", "3.2B", 2 * GIB, CHAT, 131_072),
        StoredModel("qwen2.5:0.5b", "qwen2", "494.03M", 397_821_319, CHAT, 32_768),
        StoredModel("gemma3:1b", "gemma3", "999.89M", 815_319_791, ("completion",), 32_768),
        StoredModel("nomic-embed-text:latest", "nomic-bert", "137M", 274_302_450,
                    ("embedding",), 2_048, quantization_level="F16"),
    )
}  # fmt: skip
SEEDED = ("llama3.2:latest", "nomic-embed-text:latest")


def full_name(name: str) -> str:
    """A model's name with its tag: `llama3.2` is `llama3.2:latest`."""
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


def seeded(at: datetime) -> dict[str, StoredModel]:
    stamp = at.isoformat().replace("+00:00", "Z")
    return {name: replace(LIBRARY[name], modified_at=stamp) for name in SEEDED}
