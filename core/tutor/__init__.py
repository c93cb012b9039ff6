"""The AI tutor: Socratic help on an item, a hint ladder, an offline fallback,
daily budgets, and short reviews of a session's misses.

``context`` decides what the model may see, ``prompts`` turns that into a
request, ``client`` talks to any OpenAI-compatible endpoint, ``offline``
answers without one, ``budget`` counts the day's use, ``exchange`` runs one
exchange in that order, and ``review`` writes session reviews.
"""

from core.tutor.exchange import LIVE_MODULE, Reply, Tutor

__all__ = ["LIVE_MODULE", "Reply", "Tutor"]
