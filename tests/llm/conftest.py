"""The LLM layer's fixtures are the agent tests': the embedded model loaded once per session,
`convrec llm serve`'s server in front of it, and the scripted misbehaving endpoint."""

from tests.agent.conftest import (  # noqa: F401  (pytest finds fixtures by name)
    local_llm,
    openai_server,
    shared_llm_cache,
    stub_server,
)
