"""The IRT engine: 3PL model, ability, item selection, multistage forms, scale, calibration.

Pure numpy; no database, no I/O. Metric: D = 1, P = c + (1 - c) / (1 + exp(-a(θ - b))).

The public API the rest of the product calls:

Model and bank
    ``probability(theta, a, b, c)``, ``information(theta, a, b, c)`` — vectorised.
    ``ItemBank(a, b, c, domain=, skill=, section=, retired=)`` — arrays plus
    precomputed tables on the quadrature grid (``default_grid()``: 61 points on [-6, 6]).

Ability
    ``eap / map_estimate / ml / estimate_ability(responses, a, b, c, ...) -> Estimate``
    ``AbilityState(prior_mean, prior_sd, bank=)`` with ``update(a, b, c, correct)``
    and ``update_item(index, correct)`` — a few µs per answer.
    ``group_abilities(responses, a, b, c, groups, section_estimate)`` — per skill/domain.

Adaptive tests
    ``Selector(bank, blueprint, method="max_info"|"target_p", randomesque=, exposure=)``
    with ``next_item(theta, seen, domain_counts, rng)``; ``StoppingRule``;
    ``AdaptiveTest(selector, stopping)`` with ``next_item()``, ``record(item, correct)``, ``done``.
    ``sympson_hetter_parameters(bank, r_max, ...)`` — exposure parameters by simulation.

Full test (multistage)
    ``assemble_section(a, b, c, domain, skill, blueprint, module_size, ...) -> SectionForm``,
    ``route(form, responses, a, b, c)``, ``score_section(form, items, responses, a, b, c)``.

Scale
    ``theta_to_scale``, ``section_score(theta, se)``, ``total_score(rw, math)``.

Calibration and simulation
    ``calibrate(responses, init=, fixed=, ...) -> Calibration``;
    ``simulate(n_examinees, bank, method, ..., seed) -> SimulationReport`` (``.format()``).
"""

from core.irt.calibrate import Calibration, calibrate
from core.irt.estimate import (
    AbilityState,
    Estimate,
    eap,
    estimate_ability,
    group_abilities,
    map_estimate,
    ml,
)
from core.irt.model import D, ItemBank, default_grid, information, probability, random_bank
from core.irt.mst import SectionForm, assemble_section, order_module, route, score_section
from core.irt.scale import section_score, theta_to_scale, total_score
from core.irt.select import AdaptiveTest, Selector, StoppingRule
from core.irt.simulate import SimulationReport, simulate, sympson_hetter_parameters

__all__ = [
    "D",
    "AbilityState",
    "AdaptiveTest",
    "Calibration",
    "Estimate",
    "ItemBank",
    "SectionForm",
    "Selector",
    "SimulationReport",
    "StoppingRule",
    "assemble_section",
    "calibrate",
    "default_grid",
    "eap",
    "estimate_ability",
    "group_abilities",
    "information",
    "map_estimate",
    "ml",
    "order_module",
    "probability",
    "random_bank",
    "route",
    "score_section",
    "section_score",
    "simulate",
    "sympson_hetter_parameters",
    "theta_to_scale",
    "total_score",
]
