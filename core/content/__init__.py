"""Question content: the taxonomy, items, the YAML bank, generators, answer checking.

Kept light on purpose: importing ``core.content`` loads nothing heavy. The
names below are imported from their modules on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.content.bank import ItemBank
    from core.content.loader import load_items
    from core.content.spr import check_spr

__all__ = ["ItemBank", "check_spr", "load_items"]

_LAZY = {
    "ItemBank": "core.content.bank",
    "load_items": "core.content.loader",
    "check_spr": "core.content.spr",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
