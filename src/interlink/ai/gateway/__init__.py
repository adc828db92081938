"""The gateway: OpenAI- and Anthropic-compatible surfaces over Interlink's LLM integrations.

`service.Gateway` finds what a request's `model` names (a route, or `<integration>/<model>`),
calls the integration's provider as an operation would, falls back along a route, and meters each
call; `openai_wire` and `anthropic_wire` translate the two APIs to `ChatInput` and back; the two
routers speak HTTP.
"""
