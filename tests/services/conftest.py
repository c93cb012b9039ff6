"""Service tests use the conversation fixtures: ``db`` (both engines, with the
synthetic bank), ``clock`` and ``app``."""

from tests.chat.conftest import *  # noqa: F403
