"""Choosing the next question for a student from the stored pool and the generators.

Stored items compete with "virtual" generated ones: one per generator
difficulty of each skill in scope, at the difficulty's prior parameters.
When a virtual candidate wins, an unseen generated item of that skill and
difficulty already stored (still at its prior parameters) is served if
there is one; otherwise a fresh item is generated and stored. So a skill
with a generator never runs dry, a student never sees a repeat, and a
generated item is answered by many students, as calibration needs, instead
of the bank growing by an item per answer.
"""

from __future__ import annotations

import random
from collections.abc import Collection

import numpy as np
from sqlalchemy.orm import Session

from core.content import generators
from core.content.taxonomy import DEFAULT_A, DIFFICULTY_PRIOR_B
from core.db.models import Question
from core.irt.model import information, probability
from core.services.questions import SKILL_CODES, PoolCache, fresh_generated, store_item

# Virtual generated candidates use a guessing parameter between MCQ's and SPR's
# because a generator may produce either.
VIRTUAL_C = 0.15
RANDOMESQUE = 3  # exposure control: pick at random among the best three


def pick(
    s: Session,
    cache: PoolCache,
    skills: Collection[str],
    theta: float,
    seen: set[str],
    rng: random.Random,
    rule: str = "info",
    target_p: float = 0.7,
) -> Question | None:
    """The next question among ``skills``: maximum information at ``theta``
    (``rule="info"``) or success probability nearest ``target_p``
    (``rule="target"``), randomesque among the best few, never one in ``seen``."""
    pool = cache.get(s)
    codes = np.array([SKILL_CODES[k] for k in skills], dtype=np.int64)
    mask = np.isin(pool.skill, codes)
    if seen and mask.any():
        seen_idx = [pool.index[q] for q in seen if q in pool.index]
        mask[seen_idx] = False
    stored = np.flatnonzero(mask)
    virtual = [
        (k, d)
        for k in (skills if cache.use_generators else ())
        if generators.by_skill(k)
        for d in DIFFICULTY_PRIOR_B
    ]
    a = np.concatenate([pool.a[stored], np.full(len(virtual), DEFAULT_A)])
    b = np.concatenate([pool.b[stored], [DIFFICULTY_PRIOR_B[d] for _, d in virtual]])
    c = np.concatenate([pool.c[stored], np.full(len(virtual), VIRTUAL_C)])
    if a.size == 0:
        return None
    if rule == "target":
        score = -np.abs(probability(theta, a, b, c) - target_p)
    else:
        score = information(theta, a, b, c)
    k = min(RANDOMESQUE, score.size)
    best = np.argpartition(-score, k - 1)[:k]
    choice = int(best[rng.randrange(k)])
    if choice < stored.size:
        return cache.question(s, pool.ids[int(stored[choice])])
    skill, difficulty = virtual[choice - stored.size]
    prior_b = DIFFICULTY_PRIOR_B[difficulty]
    twins = np.flatnonzero(
        mask & pool.generated & (pool.skill == SKILL_CODES[skill]) & (pool.b == prior_b)
    )
    if twins.size:
        # An unseen generated item of that skill and difficulty, still at its
        # prior, is stored already: it is the same candidate, so serve it (the
        # item gets the answers calibration needs, and the bank does not grow
        # by an item per answer).
        return cache.question(s, pool.ids[int(twins[rng.randrange(twins.size)])])
    item = fresh_generated(skill, prior_b, rng, seen)
    return None if item is None else store_item(s, item)
