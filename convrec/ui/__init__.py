"""The Gradio browser app."""
