"""The Gradio browser app.

The chat page with its Evaluate and Train tabs, the HTTP API (`api.py`), logins and
threads' owners (`accounts.py`), and the server (`app.py`, `server.py`). The top layer:
it may import every package but `cli`, and calls the agent, the jobs and the runs'
reports through their library functions.
"""

import os

# before any module of the app imports gradio (DESIGN: no analytics calls)
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
