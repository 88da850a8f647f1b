"""The LangGraph agent: constraint ledger, policy, planner, tools, grounded replies.

One turn is a graph of thin nodes (`graph.py`, `nodes/`) over the logic modules here:
understanding the message (`understanding/`), the ledger of constraints and tastes
(`ledger*.py`), the policy that asks or recommends, the plan of tool calls, multi-part
requests (`goals/`), the checked reply and its claims, and the service the app and the
command line call (`service.py`). It may import `tools`, `llm`, `catalog`, `prompts`,
`config` and `errors`; never `eval`, `rl`, `jobs`, `ui` or `cli`.
"""
