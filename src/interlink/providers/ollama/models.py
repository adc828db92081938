"""The inputs and results of Ollama's own actions: generate, model management (pull, show,
delete, create) and switching (load, unload, the running models). Chat, embeddings and the model
list take the shared shapes of `kit/llm.py`."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from interlink.providers.kit.llm import Usage

MODEL_NAME = Field(min_length=1, max_length=200, description="A model's name, e.g. llama3.2:3b")


class GenerateInput(BaseModel):
    model: str = MODEL_NAME
    prompt: str = Field(description="The prompt, put in the model's template")
    system: str | None = Field(None, description="A system prompt in place of the model's own")
    response_format: Literal["text", "json"] = "text"
    json_schema: dict[str, Any] | None = Field(None, description="Structured output's schema")
    max_tokens: int | None = Field(None, ge=1, le=1_000_000)
    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, gt=0, le=1)
    stop: list[str] = Field(default_factory=list, max_length=4)


class GenerateOutput(BaseModel):
    model: str
    response: str = Field(description="The completion")
    finish_reason: Literal["stop", "length"]
    usage: Usage


class ModelInput(BaseModel):
    model: str = MODEL_NAME


class PullModelInput(BaseModel):
    model: str = MODEL_NAME
    insecure: bool = Field(False, description="Let a registry without valid TLS serve it")


class PullOutput(BaseModel):
    model: str
    status: str = Field(description="Ollama's last status line: success when it is pulled")
    completed: int | None = Field(None, description="The most bytes of a layer seen downloaded")
    total: int | None = Field(None, description="The largest layer's size in bytes seen")


class CreateModelInput(BaseModel):
    model: str = MODEL_NAME
    from_model: str = Field(
        min_length=1, max_length=200, description="The model it is made from (Modelfile FROM)"
    )
    system: str | None = Field(None, description="Its system prompt (Modelfile SYSTEM)")
    template: str | None = Field(None, description="Its prompt template (Modelfile TEMPLATE)")
    parameters: dict[str, Any] = Field(
        default_factory=dict,
        description="Its parameters (Modelfile PARAMETER), e.g. temperature, num_ctx, stop",
    )


class StatusOutput(BaseModel):
    model: str
    status: str = Field(description="success, as Ollama says it")


class ModelDetails(BaseModel):
    model: str
    family: str | None = None
    families: list[str] = Field(default_factory=list)
    format: str | None = Field(None, description="The weights' format, e.g. gguf")
    parameter_size: str | None = Field(None, description="e.g. 3.2B")
    quantization_level: str | None = Field(None, description="e.g. Q4_K_M")
    parent_model: str | None = Field(None, description="The model it was created from")
    capabilities: list[str] = Field(
        default_factory=list, description="What it does: completion, tools, embedding, vision..."
    )
    context_window: int | None = Field(None, description="Its context length in tokens")
    parameters: str | None = Field(None, description="Its Modelfile parameters, one a line")
    template: str | None = None
    system: str | None = None
    modified_at: str | None = None


class LoadModelInput(BaseModel):
    model: str = MODEL_NAME
    keep_alive: str | int = Field(
        "5m",
        description="How long it stays loaded when unused: seconds, or a duration such as 10m or "
        "1h; a negative value keeps it loaded until it is unloaded",
    )


class RunningModel(BaseModel):
    model: str
    size: int | None = Field(None, description="Bytes it takes in memory")
    size_vram: int | None = Field(None, description="Bytes of that in the GPU's memory")
    context_length: int | None = Field(None, description="The context it was loaded with")
    expires_at: str | None = Field(None, description="When it is unloaded unless used again")


class RunningModels(BaseModel):
    items: list[RunningModel]
