"""Fixtures of the tutor tests: the chat fixtures (both engines) and the fake model server."""

from tests.chat.conftest import *  # noqa: F403
from tests.tutor.fake_openai import fake_openai_server  # noqa: F401
