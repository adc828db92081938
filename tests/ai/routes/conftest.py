from tests.ai.gateway.conftest import anthropic_client, gwllm, openai_client

__all__ = ["anthropic_client", "gwllm", "openai_client"]
