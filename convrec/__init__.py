"""convrec: a conversational movie recommender agent.

The packages, lowest first; each imports only from those below it (tests/test_layout.py):
`errors`, `config`, `prompts`, `filecheck`, `redact` (shared by all); `catalog` (the
datasets as one SQLite catalog); `cf` (collaborative-filtering models); `tools` (typed
recommendation tools over the catalog and indexes) and `llm` (the model backends); `agent`
(the LangGraph turn); `eval` (simulated users, metrics, benchmarks); `rl` (retraining the
policy); `jobs` (long runs in their own processes); `ui` (the Gradio app). `cli` sits
beside them all and nothing imports it.
"""

__version__ = "0.1.0"
