"""Fault tests: the product under a restarted database, a killed bot, a hanging
model endpoint and a failing platform. The long ones are marked ``slow`` and
left out of the default run; ``pytest -m slow tests/faults`` runs them."""

from tests.chat.conftest import *  # noqa: F403
from tests.e2e.telegram.conftest import fake  # noqa: E402,F401  (the fake Bot API fixture)
