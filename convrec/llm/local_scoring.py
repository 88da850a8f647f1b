"""Scoring options with the local model: the log-likelihood of each option as the whole
reply to a prompt. The prompt runs once (reusing a cached prefix), tokens every option starts
with are scored once, and the rest of the options run as right-padded batches on the prompt's
KV cache."""

from __future__ import annotations

from typing import Any

from convrec.llm.kv_cache import PrefixCache, kv_of, new_cache


def score_continuations(
    model: Any,
    prompt: list[int],
    options: list[tuple[int, ...]],
    *,
    pad_id: int,
    prefix: PrefixCache | None = None,
) -> list[float]:
    """The sum of token log-probabilities of each option (token ids) after `prompt`. `prefix`
    lends a cached prompt prefix and keeps the prompt's KV cache for next time."""
    import torch  # deferred: torch takes ~6 s to import

    # Tokens every option starts with are scored once, as part of the context.
    shared: list[int] = []
    if len(options) > 1:
        shortest = min(len(o) for o in options)
        for i in range(shortest - 1):
            if all(o[i] == options[0][i] for o in options):
                shared.append(options[0][i])
            else:
                break
    context = prompt + shared
    with torch.inference_mode():
        n_cached, kv = prefix.lookup(context, len(prompt) - 1) if prefix else (0, None)
        out = model(
            input_ids=torch.tensor([context[n_cached:]]),
            position_ids=torch.arange(n_cached, len(context)).unsqueeze(0),
            cache=new_cache(model.config, kv),
            use_cache=True,
            logits_to_keep=len(shared) + 1,
        )
        head = torch.log_softmax(out.logits[0].float(), dim=-1)  # predicts shared + next
        base = sum(float(head[i, t]) for i, t in enumerate(shared))
        first = head[len(shared)]
        context_kv = kv_of(out.cache)
        if prefix is not None:
            prefix.add(prompt, context_kv)
        rests = [o[len(shared) :] for o in options]
        order = sorted(range(len(rests)), key=lambda i: len(rests[i]))  # similar lengths batch
        scores = [0.0] * len(rests)
        start = len(context)
        # Rows per batch: bounded so the batch's copy of the context KV stays small.
        rows = max(1, min(32, 8192 // (start + max(len(r) for r in rests))))
        i = 0
        while i < len(order):
            batch = order[i : i + rows]
            i += rows
            width = max(len(rests[j]) for j in batch)
            ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
            for r, j in enumerate(batch):
                ids[r, : len(rests[j])] = torch.tensor(rests[j])
            # Right padding needs no mask: causal attention never looks right.
            cache = new_cache(
                model.config,
                [
                    (k.expand(len(batch), -1, -1, -1), v.expand(len(batch), -1, -1, -1))
                    for k, v in context_kv
                ],
            )
            logits = model(
                input_ids=ids,
                position_ids=torch.arange(start, start + width).expand(len(batch), width),
                cache=cache,
                use_cache=True,
            ).logits
            for r, j in enumerate(batch):
                rest = rests[j]
                total = base + float(first[rest[0]])
                if len(rest) > 1:
                    row = torch.log_softmax(logits[r, : len(rest) - 1].float(), dim=-1)
                    target = torch.tensor(rest[1:]).unsqueeze(1)
                    total += float(row.gather(1, target).sum())
                scores[j] = total
    return scores
