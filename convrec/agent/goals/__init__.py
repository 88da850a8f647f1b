"""Goal-driven planning: a request with several parts becomes typed sub-goals.

"a cartoon for my nephew and a war drama for my dad", "three films to get into
Kurosawa, easiest first", "a marathon that fits in five hours", "one per night, each
from a different decade". `decompose` turns the words into a `GoalPlan` (sub-goals,
each with its own constraints on top of the ledger, and the plan's shape: slots,
order, a runtime budget, distinctness); the graph runs the sub-goals in parallel
(LangGraph `Send`); `solve` picks the films for every slot over their candidates
with an exact search; `followup` reads a later turn that addresses one part ("swap
the second one", "another option for my nephew"). May import the agent's ledger and
understanding, and tools; nothing above the agent.
"""
