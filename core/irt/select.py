"""Next-item selection, content balancing, exposure control and stopping rules.

The selection rule, in order:

1. **Eligibility.** An item can be chosen only if it is not retired, belongs
   to the selector's section, belongs to a domain of the blueprint, and has
   not been seen by this student (the caller's ``seen`` mask).
2. **Content balancing (maximum deficit).** With k items given so far and
   counts n_d per domain, the domain with the largest deficit
   ``share_d * (k + 1) - n_d`` is chosen (ties: the larger share, then the
   blueprint's order); a domain with no eligible item left is skipped. Over
   a module this keeps every domain within one item of its share.
3. **Criterion within the domain.** Maximum Fisher information at the
   provisional θ ("max_info"), or, for practice, the item whose P(correct)
   at θ is closest to a target such as 0.7 ("target_p"). θ is looked up at
   the nearest point of the bank's grid (spacing 0.2 on the default grid),
   where the criterion is precomputed for every item.
4. **Exposure control.** Randomesque: one of the best ``randomesque`` items
   at random. Sympson–Hetter: candidates are taken best first (after the
   randomesque shuffle) and each is administered with probability K_i
   (its exposure parameter, see ``simulate.sympson_hetter_parameters``);
   a rejected item is passed over for this pick only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from core.irt.model import BoolArray, FloatArray, IntArray, ItemBank

SH_CANDIDATES = 32
"""How many best candidates Sympson–Hetter may walk through before taking the last."""


@dataclass(frozen=True)
class StoppingRule:
    """Stop when SE < ``se_threshold`` after at least ``min_items``, or at ``max_items``."""

    se_threshold: float | None = 0.3
    min_items: int = 5
    max_items: int = 30

    def done(self, n_items: int, se: float) -> bool:
        """True when the test should end after ``n_items`` answers with standard error ``se``."""
        if n_items >= self.max_items:
            return True
        if n_items < self.min_items or self.se_threshold is None:
            return False
        return se < self.se_threshold


class Selector:
    """Chooses the next item for a student from an :class:`ItemBank`.

    Build one per (bank, section, blueprint, method) and reuse it for every
    student: it precomputes the criterion table per domain, so a choice on a
    10,000-item bank takes tens of microseconds.
    """

    def __init__(
        self,
        bank: ItemBank,
        blueprint: Mapping[int, float] | None = None,
        method: str = "max_info",
        target_p: float = 0.7,
        randomesque: int = 1,
        exposure: FloatArray | None = None,
        section: int | None = None,
    ) -> None:
        if method not in ("max_info", "target_p"):
            raise ValueError(f"unknown selection method {method!r}: use 'max_info' or 'target_p'")
        if randomesque < 1:
            raise ValueError("randomesque must be at least 1")
        self.bank = bank
        self.method = method
        self.target_p = target_p
        self.randomesque = randomesque
        eligible = ~bank.retired
        if section is not None:
            eligible &= bank.section == section
        # Without a blueprint there is no content balancing: one pool, coded -1.
        self.balanced = blueprint is not None
        if blueprint is None:
            blueprint = {-1: 1.0}
        self.domains: IntArray = np.array(list(blueprint), dtype=np.int64)
        shares = np.array([blueprint[int(d)] for d in self.domains], dtype=float)
        self.shares: FloatArray = shares / shares.sum()
        # Tie-break by larger share, then blueprint order: a tiny bonus keeps argmax simple.
        self._tiebreak = 1e-9 * (self.shares - np.arange(len(self.domains)) * 1e-3)
        table = bank.info_table if method == "max_info" else -np.abs(bank.p_table - target_p)
        self.exposure = None if exposure is None else np.asarray(exposure, dtype=float)
        self.index: list[IntArray] = []
        self.order: list[IntArray] = []
        for d in self.domains:
            in_domain = bank.domain == d if self.balanced else True
            idx = np.flatnonzero(eligible & in_domain)
            sub = np.ascontiguousarray(table[:, idx])
            self.index.append(idx)
            # Items of the domain best-first at every grid point: a pick walks
            # this list and skips seen items, so it never scans the domain.
            self.order.append(np.ascontiguousarray(idx[np.argsort(-sub, axis=1, kind="stable")]))
        self.sizes = np.array([len(i) for i in self.index])
        # Position of each item's domain in self.domains (-1: not in the blueprint).
        self.position = np.full(bank.n_items, -1 if self.balanced else 0, dtype=np.int64)
        for pos, idx in enumerate(self.index):
            self.position[idx] = pos
        if self.balanced:
            for pos, d in enumerate(self.domains):
                self.position[bank.domain == d] = pos
        grid = bank.grid
        self._g0 = float(grid[0])
        self._inv_h = float((len(grid) - 1) / (grid[-1] - grid[0]))
        self._last = len(grid) - 1

    def column(self, theta: float) -> int:
        """Index of the grid point nearest to θ."""
        j = int((theta - self._g0) * self._inv_h + 0.5)
        return 0 if j < 0 else (self._last if j > self._last else j)

    def choose_domain(self, counts: IntArray, available: BoolArray | None = None) -> int:
        """Position (in ``self.domains``) of the domain with the largest deficit."""
        deficit = self.shares * (counts.sum() + 1) - counts + self._tiebreak
        if available is not None:
            deficit = np.where(available, deficit, -np.inf)
        return int(np.argmax(deficit))

    def next_item(
        self,
        theta: float,
        seen: BoolArray,
        domain_counts: IntArray | None = None,
        rng: np.random.Generator | None = None,
        rejected: BoolArray | None = None,
    ) -> int:
        """Bank index of the next item at provisional ``theta``.

        ``seen`` is a boolean mask over the bank (True = already given to this
        student, or otherwise unavailable); ``domain_counts`` counts the items
        given so far per domain, in the order of ``self.domains``. If
        ``rejected`` is given, items Sympson–Hetter passes over are set True
        in it; OR it into ``seen`` to keep them out for the rest of the test
        (the classic procedure, which :func:`sympson_hetter_parameters`
        assumes; :class:`AdaptiveTest` does this). Raises ValueError when
        nothing is left.
        """
        counts = np.zeros(len(self.domains), np.int64) if domain_counts is None else domain_counts
        col = self.column(theta)
        tried = self.sizes == 0
        while not tried.all():
            pos = self.choose_domain(counts, ~tried)
            item = self._pick(self.order[pos][col], seen, rng, rejected)
            if item >= 0:
                return item
            tried = tried.copy()
            tried[pos] = True
        raise ValueError("no eligible item is left for this student in this section")

    def candidates(self, ordered: IntArray, seen: BoolArray, m: int) -> IntArray:
        """The first ``m`` unseen items of a best-first list (fewer if the list runs out)."""
        start, chunk, found = 0, max(4 * m, 16), []
        n_found = 0
        while start < ordered.size and n_found < m:
            cand = ordered[start : start + chunk]
            cand = cand[~seen[cand]]
            found.append(cand)
            n_found += cand.size
            start += chunk
            chunk *= 4
        out = found[0] if len(found) == 1 else np.concatenate(found)
        return out[:m]

    def _pick(
        self,
        ordered: IntArray,
        seen: BoolArray,
        rng: np.random.Generator | None,
        rejected: BoolArray | None,
    ) -> int:
        k = self.randomesque
        m = max(k, SH_CANDIDATES) if self.exposure is not None else k
        top = self.candidates(ordered, seen, m)
        if top.size == 0:
            return -1
        if k == 1 and self.exposure is None:
            return int(top[0])
        if rng is None:
            rng = np.random.default_rng()
        if k > 1:
            head = min(k, top.size)
            top = top.copy()
            top[:head] = top[rng.permutation(head)]
        if self.exposure is not None:
            accept = rng.random(top.size) < self.exposure[top]
            first = int(np.argmax(accept)) if accept.any() else top.size - 1
            if rejected is not None:
                rejected[top[:first]] = True
            return int(top[first])
        return int(top[0])

    def next_items(
        self,
        theta: FloatArray,
        seen: BoolArray,
        domain_counts: IntArray,
        rng: np.random.Generator,
        selected: BoolArray | None = None,
    ) -> IntArray:
        """:meth:`next_item` for many students at once (used by simulation).

        ``seen`` is (students, items) and ``domain_counts`` (students,
        domains). Items Sympson–Hetter passes over are set True in ``seen``
        (the classic exclusion); items that reached the exposure lottery are
        set True in ``selected`` if given. Same rule as :meth:`next_item`.
        """
        n = theta.shape[0]
        out = np.full(n, -1, dtype=np.int64)
        k = self.randomesque
        sh = self.exposure is not None
        m = max(k, SH_CANDIDATES) if sh else k
        total = domain_counts.sum(axis=1, keepdims=True)
        deficit = self.shares * (total + 1) - domain_counts + self._tiebreak
        deficit = np.where(domain_counts < self.sizes, deficit, -np.inf)
        pos_of = np.argmax(deficit, axis=1)
        cols = np.clip(((theta - self._g0) * self._inv_h + 0.5).astype(np.int64), 0, self._last)
        rows_all = np.arange(n)
        for pos in range(len(self.domains)):
            rows = rows_all[pos_of == pos]
            if rows.size == 0:
                continue
            # Usually only items given in this domain (plus a few SH rejections)
            # stand before the m-th unseen one; rows where the window falls
            # short go to the scalar rule below, so the result is exact.
            ordered = self.order[pos]
            extra = m if sh else 0
            width = min(ordered.shape[1], m + extra + int(domain_counts[rows, pos].max()))
            cand = ordered[cols[rows], :width]
            free = ~seen[rows[:, None], cand]
            idx = np.argsort(~free, axis=1, kind="stable")[:, :m]
            top = np.take_along_axis(cand, idx, axis=1)
            ok = np.take_along_axis(free, idx, axis=1)
            enough = ok.sum(axis=1) >= m
            if k > 1:
                head = min(k, m)
                keys = rng.random((rows.size, head)) + np.where(ok[:, :head], 0.0, 2.0)
                perm = np.argsort(keys, axis=1)
                top[:, :head] = np.take_along_axis(top[:, :head], perm, axis=1)
                ok[:, :head] = np.take_along_axis(ok[:, :head], perm, axis=1)
            if sh:
                accept = (rng.random(top.shape) < self.exposure[top]) & ok
                n_ok = ok.sum(axis=1)
                first = np.where(accept.any(axis=1), np.argmax(accept, axis=1), n_ok - 1)
                first = np.maximum(first, 0)
                before = np.arange(top.shape[1]) < first[:, None]
                if selected is not None:
                    upto = (np.arange(top.shape[1]) <= first[:, None]) & ok & enough[:, None]
                    selected[np.broadcast_to(rows[:, None], top.shape)[upto], top[upto]] = True
                passed = before & ok & enough[:, None]
                seen[np.broadcast_to(rows[:, None], top.shape)[passed], top[passed]] = True
            else:
                first = np.zeros(rows.size, dtype=np.int64)
            chosen = top[np.arange(rows.size), first]
            good = ok[np.arange(rows.size), first] & enough
            out[rows[good]] = chosen[good]
        # Rare: a student's chosen domain ran dry; the scalar rule tries the others.
        for r in np.flatnonzero(out < 0):
            out[r] = self.next_item(float(theta[r]), seen[r], domain_counts[r], rng, seen[r])
        return out


class AdaptiveTest:
    """One student's adaptive test: the selector, the ability state and the stopping rule.

    Call :meth:`next_item`, show it, then :meth:`record` the answer, until
    :attr:`done`.
    """

    def __init__(
        self,
        selector: Selector,
        stopping: StoppingRule | None = None,
        prior_mean: float = 0.0,
        prior_sd: float = 1.0,
        seen: BoolArray | None = None,
        seed: int | None = None,
    ) -> None:
        from core.irt.estimate import AbilityState

        self.selector = selector
        self.stopping = stopping or StoppingRule()
        self.ability = AbilityState(prior_mean, prior_sd, bank=selector.bank)
        n = selector.bank.n_items
        # One mask for items seen and items Sympson–Hetter passed over: both
        # stay out for the rest of this test.
        self.seen = np.zeros(n, dtype=bool) if seen is None else np.array(seen, dtype=bool)
        self.counts = np.zeros(len(selector.domains), dtype=np.int64)
        self.items: list[int] = []
        self.responses: list[int] = []
        self.rng = np.random.default_rng(seed)

    def next_item(self) -> int:
        """The bank index of the item to show next."""
        return self.selector.next_item(
            self.ability.theta, self.seen, self.counts, self.rng, rejected=self.seen
        )

    def record(self, item: int, correct: bool) -> None:
        """Add the student's answer to ``item`` and update θ."""
        self.ability.update_item(item, correct)
        self.seen[item] = True
        pos = self.selector.position[item]
        if pos >= 0:
            self.counts[pos] += 1
        self.items.append(int(item))
        self.responses.append(int(correct))

    @property
    def done(self) -> bool:
        """True when the stopping rule says the test is over."""
        return self.stopping.done(len(self.items), self.ability.se)
