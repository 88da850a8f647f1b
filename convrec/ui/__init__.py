"""The Gradio browser app."""

import os

# before any module of the app imports gradio (DESIGN: no analytics calls)
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
