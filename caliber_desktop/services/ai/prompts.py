"""Prompt templates (a data file) and the delimited data block that carries report values.

Site names, campaign names and every other value that comes from a report are written by third
parties, so they are never spliced into instructions. A prompt is two parts:

* instructions from ``prompts/insights.toml``, filled with :class:`string.Template` from *trusted*
  values only (enum settings, counts); a placeholder without a value is a
  :class:`~caliber_desktop.errors.ValidationError` naming it, never a ``KeyError``;
* the context as ONE JSON document between ``<campaign_data>`` and ``</campaign_data>``. JSON
  escapes quotes, newlines and control characters, and ``<``, ``>`` and ``&`` are escaped as
  ``\\u003c``, ``\\u003e`` and ``\\u0026``, so no value can close the block or start a new one; the
  system message says that everything inside the block is data, never instructions.
"""

from __future__ import annotations

import json
import string
import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from caliber_desktop.errors import ValidationError

DATA_OPEN = "<campaign_data>"
DATA_CLOSE = "</campaign_data>"

Message = dict[str, str]


@cache
def templates() -> dict[str, Any]:
    """The parsed ``prompts/insights.toml`` (packaged data; read once per process)."""
    source = resources.files("caliber_desktop.services.ai").joinpath("prompts", "insights.toml")
    return tomllib.loads(source.read_text(encoding="utf-8"))


def system_text() -> str:
    return str(templates()["system"]["text"]).strip()


def chat_text(name: str) -> str:
    return str(templates()["chat"][name]).strip()


def instruction_template(insight_type: str) -> str:
    types: dict[str, Any] = templates()["types"]
    if insight_type not in types:
        raise ValidationError(
            f"There is no prompt for the insight type {insight_type!r}.", field="insight_type"
        )
    return str(types[insight_type]["instructions"]).strip()


class _Trusted(dict[str, str]):
    """The values a template may use; a missing one names itself in a ValidationError."""

    def __missing__(self, key: str) -> str:
        raise ValidationError(
            f"The prompt needs {key!r}, which this campaign's run does not provide.",
            field=key,
            hint="Score the campaign again so its run has every figure.",
        )


def fill(template: str, values: Mapping[str, object]) -> str:
    """``template`` with ``$name`` replaced from ``values`` (trusted values only)."""
    return string.Template(template).substitute(_Trusted({k: str(v) for k, v in values.items()}))


def data_block(context: Mapping[str, Any]) -> str:
    """``context`` as a JSON document inside the delimiters; no value can break out of it."""
    document = json.dumps(context, ensure_ascii=False, sort_keys=True, indent=1)
    document = document.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
    return f"{DATA_OPEN}\n{document}\n{DATA_CLOSE}"


def insight_messages(
    insight_type: str, context: Mapping[str, Any], trusted: Mapping[str, object]
) -> list[Message]:
    """System rules, then the filled instructions followed by the data block."""
    instructions = fill(instruction_template(insight_type), trusted)
    user = f"{instructions}\n\n{data_block(context)}"
    return [{"role": "system", "content": system_text()}, {"role": "user", "content": user}]


def chat_messages(
    context: Mapping[str, Any] | None,
    history: list[Message],
    message: str,
) -> list[Message]:
    """System rules, the campaign data block (or "no campaign"), the history, the new message."""
    if context is None:
        system = f"{chat_text('system')}\n\n{chat_text('no_campaign')}"
    else:
        system = f"{chat_text('system')}\n\n{chat_text('data_intro')}\n{data_block(context)}"
    return [{"role": "system", "content": system}, *history, {"role": "user", "content": message}]
