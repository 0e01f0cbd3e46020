"""Prompt templates: the Markdown files in prompts/, rendered strictly with Jinja2."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import jinja2


def prompts_dir() -> Path:
    """Return the directory of the prompt templates: the installed package data, else the source tree."""
    # pyproject installs prompts/*.md as assistant/prompts/, next to this module. "assistant.prompts"
    # names this module, not that directory, so look the directory up from the parent package.
    installed = resources.files("assistant") / "prompts"
    if installed.is_dir():
        return Path(str(installed))
    return Path(__file__).parent.parent / "prompts"


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    import jinja2  # only the LLM path renders prompts: asking without one does not load Jinja

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(prompts_dir()),
        undefined=jinja2.StrictUndefined,  # a missing variable is an error, not a silent blank
        keep_trailing_newline=True,
        autoescape=False,
    )


def render(name: str, **variables) -> str:
    """Return the prompt template `name` (e.g. "answer.md") filled in with variables."""
    import jinja2

    try:
        return _env().get_template(name).render(**variables)
    except jinja2.TemplateNotFound as e:
        raise ValueError(f"no prompt template {name!r} in {prompts_dir()}") from e
    except jinja2.UndefinedError as e:
        raise ValueError(f"prompt template {name!r} needs a variable that was not given: {e.message}") from e
