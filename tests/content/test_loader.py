"""Question files: loading, line-numbered problems, dump round trip, the CLI."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.content.item import IrtParams, Item
from core.content.loader import (
    Problem,
    dump_items,
    load_items,
    load_text,
    main,
    validate_paths,
)

DATA = Path(__file__).parent / "data"
SAMPLE_BANK = DATA / "bank"

PASSAGE = (
    "The town library opened a seed exchange in the spring. Residents borrowed packets "
    "of tomato and bean seeds, grew them at home, and returned a share of new seeds "
    "after the harvest, so the collection grew every year."
)
LONG_PASSAGE = " ".join(["word"] * 151)


def math_item(**fields: object) -> dict[str, object]:
    item: dict[str, object] = {
        "id": "t-math-001",
        "skill": "linear_one_var",
        "difficulty": "easy",
        "type": "mcq",
        "stem": "If x + 2 = 5, what is x?",
        "choices": {"A": "1", "B": "3", "C": "5", "D": "7"},
        "key": "B",
        "explanation": "Subtract 2 from both sides.",
    }
    item.update(fields)
    return {k: v for k, v in item.items() if v is not None}


def rw_item(**fields: object) -> dict[str, object]:
    item = math_item(
        id="t-rw-001",
        skill="central_ideas",
        passage=PASSAGE,
        stem="Which choice best states the main idea of the text?",
        choices={"A": "Seeds", "B": "A growing exchange", "C": "Harvests", "D": "Libraries close"},
    )
    item.update(fields)
    return {k: v for k, v in item.items() if v is not None}


def to_yaml(items: list[dict[str, object]]) -> str:
    import yaml

    return yaml.safe_dump(items, sort_keys=False, allow_unicode=True)


def problems_of(text: str) -> list[str]:
    return [str(p) for p in load_text(textwrap.dedent(text), "x.yaml")[1]]


def only_problem(items: list[dict[str, object]]) -> str:
    loaded, problems = load_text(to_yaml(items), "x.yaml")
    assert len(problems) == 1, [str(p) for p in problems]
    assert loaded == [] or len(loaded) == len(items) - 1
    return str(problems[0])


# -- the sample bank ---------------------------------------------------------------


def test_sample_bank_loads_clean() -> None:
    result = load_items(SAMPLE_BANK)
    assert result.ok, [str(p) for p in result.problems]
    assert len(result.files) == 2
    ids = {item.id for item in result.items}
    assert ids == {"fx-wic-001", "fx-cross-001", "fx-lin-001", "fx-circ-001"}
    wic = next(i for i in result.items if i.id == "fx-wic-001")
    assert wic.choices["D"] == "No"  # YAML 1.1 would have made this False
    assert wic.irt == IrtParams(1.1, -0.8, 0.2)
    assert len(wic.hints) == 3
    spr = next(i for i in result.items if i.id == "fx-lin-001")
    assert spr.key == ["7/2", "3.5"] and spr.choices == {}
    circ = next(i for i in result.items if i.id == "fx-circ-001")
    assert circ.choices["D"] == "10" and circ.figure and circ.figure["kind"] == "circle"


def test_single_file_and_yml_paths(tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text(to_yaml([math_item()]))
    (tmp_path / "notes.txt").write_text("not a bank")
    result = load_items([tmp_path])
    assert result.ok and len(result.items) == 1
    assert load_items(tmp_path / "a.yml").items == result.items


def test_missing_path_is_a_problem(tmp_path: Path) -> None:
    problems = validate_paths([tmp_path / "nope.yaml"])
    assert [p.message for p in problems] == ["no such file or directory"]


# -- problems, each with its line ------------------------------------------------


def test_problem_str() -> None:
    p = Problem("bank/rw/x.yaml", 12, "rw-wic-003", 'key "E" is not one of the choices A–D')
    assert str(p) == 'bank/rw/x.yaml:12: item rw-wic-003: key "E" is not one of the choices A–D'
    assert str(Problem("a.yaml", None, None, "no such file")) == "a.yaml: no such file"


def test_yaml_syntax_error_has_its_line() -> None:
    problems = problems_of(
        """\
        - id: t-1
          skill: linear_one_var
          stem: Solve: x + 1 = 2
        """
    )
    assert len(problems) == 1
    assert problems[0].startswith("x.yaml:3: YAML syntax error")


def test_not_a_list_of_mappings() -> None:
    assert problems_of("just text\n") == ["x.yaml:1: expected a list of items"]
    assert problems_of("- one\n- two\n")[1] == "x.yaml:2: each item must be a mapping of fields"
    assert "only items:" in problems_of("questions: []\n")[0]
    assert problems_of("") == []


def test_field_lines_are_reported() -> None:
    text = to_yaml([math_item(), math_item(id="t-math-002", key="E")])
    _, problems = load_text(text, "bank/x.yaml")
    key_line = next(i for i, line in enumerate(text.splitlines(), 1) if line.startswith("  key: E"))
    assert [str(p) for p in problems] == [
        f'bank/x.yaml:{key_line}: item t-math-002: key "E" is not one of the choices A–D'
    ]


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (math_item(explanation=None), "missing required field explanation"),
        (math_item(stem=None), "missing required field stem"),
        (math_item(colour="red"), "unknown field 'colour'"),
        (math_item(hint=["x"]), "unknown field 'hint' (did you mean hints?)"),
        (math_item(id="T_1"), "must be lowercase letters, digits and hyphens"),
        (math_item(id="gen-x-easy-1"), "reserved for generated items"),
        (math_item(skill="algebra_one"), "unknown skill 'algebra_one'"),
        (math_item(skill="words_in_contxt"), "did you mean words_in_context?"),
        (math_item(difficulty="tricky"), "unknown difficulty 'tricky'"),
        (math_item(type="essay"), "unknown type 'essay'"),
        (
            math_item(choices={"A": "1", "B": "2", "C": "3"}),
            "exactly four choices A, B, C, D (found A, B, C)",
        ),
        (math_item(choices={"A": "1", "B": "2", "C": "3", "E": "4"}), "found A, B, C, E"),
        (
            math_item(choices={"A": "1", "B": "3", "C": "5", "D": " 3"}),
            "choices B and D have the same text",
        ),
        (math_item(choices=None), "mcq items need choices"),
        (math_item(key="E"), 'key "E" is not one of the choices A–D'),
        (math_item(explanation=""), "explanation is empty"),
        (math_item(type="spr", choices=None, key="3"), "spr key must be a non-empty list"),
        (math_item(type="spr", choices=None, key=[]), "spr key must be a non-empty list"),
        (
            math_item(type="spr", choices=None, key=["3 1/2"]),
            'spr key "3 1/2" breaks the entry rules',
        ),
        (math_item(type="spr", choices=None, key=["0.6667"]), "a positive answer fits in 5"),
        (math_item(type="spr", key=["3"]), "spr items have no choices"),
        (
            rw_item(type="spr", choices=None, key=["3"]),
            "spr (student-produced response) is Math only",
        ),
        (rw_item(passage=None), "Reading and Writing items need a passage"),
        (rw_item(passage="Too short to be a passage."), "passage has 6 words; it must have 25–150"),
        (rw_item(passage=LONG_PASSAGE), "passage has 151 words"),
        (rw_item(passage2=PASSAGE), "passage2 is only for cross_text items"),
        (math_item(passage2=PASSAGE), "passage2 is only for cross_text items"),
        (rw_item(skill="cross_text"), "cross_text items need passage2"),
        (rw_item(skill="cross_text", passage2="Short."), "passage2 has 1 words"),
        (math_item(stem=r"If \frac{x}{2} = 3, what is x?"), "stem contains LaTeX"),
        (math_item(explanation="So $x = 3$."), "explanation contains LaTeX"),
        (
            math_item(choices={"A": r"\sqrt{2}", "B": "2", "C": "3", "D": "4"}),
            "choice A contains LaTeX",
        ),
        (math_item(hints=["Use x^{2}"]), "hint 1 contains LaTeX"),
        (math_item(irt={"a": 0, "b": 0, "c": 0.2}), "irt a = 0 must be greater than 0"),
        (math_item(irt={"a": 1, "b": 0, "c": 0.5}), "irt c = 0.5 must be at least 0 and below 0.5"),
        (math_item(irt={"a": 1, "b": 0, "c": -0.1}), "irt c = -0.1"),
        (math_item(irt={"a": 1, "b": 0}), "irt must be {a: ..., b: ..., c: ...}"),
        (math_item(irt={"a": 1, "b": "hard", "c": 0.2}), "irt a, b and c must be numbers"),
        (math_item(figure={"kind": "pie"}), "figure kind 'pie' is not one of"),
        (math_item(figure={"kind": "table", "columns": ["a"], "rows": [[1, 2]]}), "table row 1"),
        (
            math_item(figure={"kind": "table", "columns": [r"$x$"], "rows": [[1]]}),
            "figure contains LaTeX",
        ),
        (math_item(hints="one hint"), "hints must be a list of texts"),
        (math_item(seed="abc"), "seed must be a whole number"),
        (math_item(stem=["a", "list"]), "stem must be text"),
    ],
)
def test_each_problem_is_caught(item: dict[str, object], message: str) -> None:
    problem = only_problem([item])
    assert message in problem
    assert problem.startswith("x.yaml:")


def test_item_with_a_problem_is_left_out_and_the_rest_load() -> None:
    items, problems = load_text(to_yaml([math_item(), math_item(id="t-2", key="E")]), "x.yaml")
    assert [i.id for i in items] == ["t-math-001"]
    assert len(problems) == 1


def test_duplicate_ids_within_and_across_files(tmp_path: Path) -> None:
    text = to_yaml([math_item(), math_item()])
    (tmp_path / "a.yaml").write_text(text)
    (tmp_path / "b.yaml").write_text(to_yaml([math_item()]))
    problems = [str(p) for p in validate_paths(tmp_path)]
    first = f"{tmp_path / 'a.yaml'}:1"
    assert len(problems) == 2
    assert all(f"duplicate id t-math-001 (first defined at {first})" in p for p in problems)
    assert problems[1].startswith(f"{tmp_path / 'b.yaml'}:1:")


def test_duplicate_field_in_one_item() -> None:
    problems = problems_of(
        """\
        - id: t-1
          skill: linear_one_var
          skill: circles
        """
    )
    assert any(
        p == "x.yaml:3: item t-1: field skill appears twice (first on line 2)" for p in problems
    )


def test_items_mapping_form() -> None:
    items, problems = load_text(
        "items:\n" + textwrap.indent(to_yaml([math_item()]), "  "), "x.yaml"
    )
    assert problems == [] and len(items) == 1


def test_several_problems_in_one_item() -> None:
    problems = problems_of(
        """\
        - id: Bad Id
          skill: nonsense
          difficulty: medium
          type: mcq
          stem: What?
          key: Z
          explanation: Because.
        """
    )
    assert (
        "x.yaml:1: item Bad Id: id 'Bad Id' must be lowercase letters, digits and hyphens"
        in problems
    )
    assert any(p.startswith("x.yaml:2:") and "unknown skill" in p for p in problems)
    assert any(p.startswith("x.yaml:6:") and 'key "Z"' in p for p in problems)


# -- writing back --------------------------------------------------------------------


def test_dump_round_trips_the_sample_bank() -> None:
    items = load_items(SAMPLE_BANK).items
    text = dump_items(items)
    again, problems = load_text(text, "dump.yaml")
    assert problems == []
    assert again == items


def test_dump_round_trips_awkward_values() -> None:
    item = Item(
        id="gen-linear-easy-7",
        skill="linear_one_var",
        difficulty="easy",
        type="spr",
        stem="Yes: what is x if 3x = 2?\nGive the exact value.",
        key=["2/3", ".6667", "0.666"],
        explanation="Divide by 3.  \nTrailing spaces above; x = 2/3.\n",
        hints=["No", "1.5", "true"],
        irt=IrtParams(1.0, 0.25, 0.0),
        figure={
            "kind": "table",
            "columns": ["x", "Yes"],
            "rows": [[1, "2024-01-01"], [2.5, "on"]],
            "title": "T",
        },
        source="Made up for a test",
        generator="linear",
        seed=7,
    )
    again, problems = load_text(dump_items([item]), "dump.yaml")
    assert problems == []
    assert again == [item]


def test_dump_uses_the_documented_layout() -> None:
    items = load_items(SAMPLE_BANK / "math").items
    text = dump_items(items)
    assert 'key: ["7/2", "3.5"]' in text
    assert "choices:\n    A: 5π\n" in text
    assert "source:" not in text  # the default is implied


# -- command line ----------------------------------------------------------------------


def test_cli_ok(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(SAMPLE_BANK)]) == 0
    assert capsys.readouterr().out.strip() == "OK: 4 items in 2 file(s) (2 R&W, 2 Math)"


def test_cli_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(to_yaml([math_item(key="E")]))
    assert main([str(bad)]) == 1
    out = capsys.readouterr().out
    assert f"{bad}:" in out and 'key "E" is not one of the choices A–D' in out


def test_generated_items_validate_and_round_trip() -> None:
    from core.content import generators

    generators.load_all()
    items = [generators.make(name, 3, "medium") for name in sorted(generators.GENERATORS)]
    again, problems = load_text(dump_items(items), "generated.yaml")
    assert [str(p) for p in problems] == []
    assert again == items


def test_unsafe_yaml_tags_are_refused() -> None:
    text = to_yaml([math_item()]).replace(
        "explanation:", "figure: !!python/object/apply:os.system [ls]\n  explanation:"
    )
    items, problems = load_text(text, "x.yaml")
    assert items == [] and any("figure cannot be read" in str(p) for p in problems)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="- :\n[]{}abkeyidtpsmcq0123456789!&*|>'\"", max_size=80))
def test_loader_never_raises(text: str) -> None:
    items, problems = load_text(text, "fuzz.yaml")
    assert all(p.file == "fuzz.yaml" for p in problems)
