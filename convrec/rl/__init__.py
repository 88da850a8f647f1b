"""Retraining the dialogue policy: rollouts, reward model, GRPO."""
