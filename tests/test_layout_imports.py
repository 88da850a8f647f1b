"""What `import convrec.cli` loads in a fresh process: the command line starts without the
heavy libraries (they load in the commands that use them, see the `# deferred:` imports)."""

from __future__ import annotations

from tests.fresh_process import run_fresh

# Not loaded by `import convrec.cli` when this test was written; each costs ~0.4-30 s of start-up.
HEAVY = ("torch", "transformers", "sentence_transformers", "onnxruntime", "tokenizers",
         "chromadb", "lightgbm", "implicit", "sklearn", "scipy", "numpy", "pandas", "ranx",
         "bm25s", "gradio", "gradio_client", "langgraph", "langchain_core", "openai",
         "matplotlib", "trl", "psycopg")


def test_the_command_line_starts_without_the_heavy_libraries():
    code = ("import json, sys\n"
            "import convrec.cli\n"
            "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n")
    loaded = set(run_fresh(code, timeout=120))
    assert "convrec" in loaded
    assert not loaded & set(HEAVY), f"`import convrec.cli` loads {sorted(loaded & set(HEAVY))}"
