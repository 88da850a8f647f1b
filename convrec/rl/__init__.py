"""Retraining the dialogue policy: rollouts, reward model, GRPO.

The run's config (`config.py`, `--set` overrides), rollouts of the agent against
simulated users, rewards, the reward model and GRPO with TRL, and the evaluation of a
trained policy. It may import `eval`, `agent`, `tools`, `llm` and below; `jobs`, `ui` and
`cli` call it. Torch, transformers and TRL are imported inside the functions that train,
so reading a config or listing runs stays light.
"""
