"""Errors that modules on a question's path catch without needing the code that raises them."""

from __future__ import annotations


class LLMError(RuntimeError):
    """The LLM server could not be reached or answered with an error."""
