"""The LangGraph agent: constraint ledger, policy, planner, tools, grounded replies."""
