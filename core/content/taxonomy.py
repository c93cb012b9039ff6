"""The Digital SAT content map: sections, domains and the 29 skills.

Shares are the approximate fraction of a section's operational questions
that each domain contributes on the real test; the blueprint for module
assembly and the study plan's weights both read them from here.
"""

from __future__ import annotations

from dataclasses import dataclass

RW = "rw"
MATH = "math"
SECTIONS: tuple[str, ...] = (RW, MATH)
SECTION_NAMES = {RW: "Reading and Writing", MATH: "Math"}


@dataclass(frozen=True)
class Domain:
    """A content domain of one section, with its share of that section."""

    code: str
    section: str
    name: str
    share: float


@dataclass(frozen=True)
class Skill:
    """One of the 29 skills the College Board's specification names."""

    code: str
    domain: str
    name: str

    @property
    def section(self) -> str:
        return DOMAINS[self.domain].section


DOMAINS: dict[str, Domain] = {
    d.code: d
    for d in (
        Domain("information_ideas", RW, "Information and Ideas", 0.26),
        Domain("craft_structure", RW, "Craft and Structure", 0.28),
        Domain("expression_ideas", RW, "Expression of Ideas", 0.20),
        Domain("conventions", RW, "Standard English Conventions", 0.26),
        Domain("algebra", MATH, "Algebra", 0.35),
        Domain("advanced_math", MATH, "Advanced Math", 0.35),
        Domain("data_analysis", MATH, "Problem-Solving and Data Analysis", 0.15),
        Domain("geometry_trig", MATH, "Geometry and Trigonometry", 0.15),
    )
}

SKILLS: dict[str, Skill] = {
    s.code: s
    for s in (
        # Reading and Writing
        Skill("central_ideas", "information_ideas", "Central Ideas and Details"),
        Skill("command_of_evidence", "information_ideas", "Command of Evidence"),
        Skill("inferences", "information_ideas", "Inferences"),
        Skill("words_in_context", "craft_structure", "Words in Context"),
        Skill("text_structure", "craft_structure", "Text Structure and Purpose"),
        Skill("cross_text", "craft_structure", "Cross-Text Connections"),
        Skill("rhetorical_synthesis", "expression_ideas", "Rhetorical Synthesis"),
        Skill("transitions", "expression_ideas", "Transitions"),
        Skill("boundaries", "conventions", "Boundaries"),
        Skill("form_structure_sense", "conventions", "Form, Structure, and Sense"),
        # Math
        Skill("linear_one_var", "algebra", "Linear equations in one variable"),
        Skill("linear_two_var", "algebra", "Linear equations in two variables"),
        Skill("linear_functions", "algebra", "Linear functions"),
        Skill("linear_systems", "algebra", "Systems of two linear equations"),
        Skill("linear_inequalities", "algebra", "Linear inequalities"),
        Skill("equivalent_expressions", "advanced_math", "Equivalent expressions"),
        Skill("nonlinear_equations", "advanced_math", "Nonlinear equations and systems"),
        Skill("nonlinear_functions", "advanced_math", "Nonlinear functions"),
        Skill("ratios_rates", "data_analysis", "Ratios, rates, proportions and units"),
        Skill("percentages", "data_analysis", "Percentages"),
        Skill("one_var_data", "data_analysis", "One-variable data"),
        Skill("two_var_data", "data_analysis", "Two-variable data"),
        Skill("probability", "data_analysis", "Probability and conditional probability"),
        Skill("sampling_inference", "data_analysis", "Inference from samples and margin of error"),
        Skill("statistical_claims", "data_analysis", "Evaluating statistical claims"),
        Skill("area_volume", "geometry_trig", "Area and volume"),
        Skill("lines_angles_triangles", "geometry_trig", "Lines, angles and triangles"),
        Skill("right_triangles_trig", "geometry_trig", "Right triangles and trigonometry"),
        Skill("circles", "geometry_trig", "Circles"),
    )
}

DIFFICULTIES: tuple[str, ...] = ("easy", "medium", "hard")

# Starting 3PL parameters for an uncalibrated item, by authored difficulty.
# Calibration replaces them once an item has enough responses.
DIFFICULTY_PRIOR_B = {"easy": -1.0, "medium": 0.0, "hard": 1.2}
DEFAULT_A = 1.0
DEFAULT_C_MCQ = 0.2
DEFAULT_C_SPR = 0.0


def domains_of(section: str) -> list[Domain]:
    """The domains of one section, in the specification's order."""
    return [d for d in DOMAINS.values() if d.section == section]


def skills_of(domain: str) -> list[Skill]:
    """The skills of one domain, in the specification's order."""
    return [s for s in SKILLS.values() if s.domain == domain]


def blueprint(section: str) -> dict[str, float]:
    """Domain code → share of the section's operational questions."""
    return {d.code: d.share for d in domains_of(section)}


def find_topic(text: str) -> Domain | Skill | None:
    """Resolve a user's free-text domain or skill (code, name or prefix)."""
    needle = text.strip().lower().replace("-", "_").replace(" ", "_")
    if not needle:
        return None
    for table in (SKILLS, DOMAINS):
        if needle in table:
            return table[needle]
    for table in (SKILLS, DOMAINS):
        for obj in table.values():
            name = obj.name.lower().replace(",", "").replace("-", "_").replace(" ", "_")
            if name == needle or name.startswith(needle) or obj.code.startswith(needle):
                return obj
    return None
