"""Load and validate YAML question files (docs/question-format.md) into Items.

Every problem names its file and line, so an author can jump to it:
``bank/rw/x.yaml:12: item rw-wic-003: key "E" is not one of the choices A–D``.
An item with any problem is left out of the result; the others load.

    python -m core.content.loader PATH...   # files or directories; exit 1 on problems
"""

from __future__ import annotations

import difflib
import math
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from core.content.figures import validate_figure
from core.content.item import CHOICE_LETTERS, IrtParams, Item
from core.content.mathtext import find_latex
from core.content.spr import valid_key
from core.content.taxonomy import DIFFICULTIES, RW, SKILLS

REQUIRED = ("id", "skill", "difficulty", "type", "stem", "key", "explanation")
OPTIONAL = (
    "passage",
    "passage2",
    "choices",
    "hints",
    "irt",
    "figure",
    "source",
    "generator",
    "seed",
)
FIELD_ORDER = (
    "id",
    "skill",
    "difficulty",
    "type",
    "passage",
    "passage2",
    "stem",
    "choices",
    "key",
    "explanation",
    "hints",
    "irt",
    "figure",
    "source",
    "generator",
    "seed",
)
TYPES = ("mcq", "spr")
PASSAGE_WORDS = (25, 150)
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
GENERATED_ID_PATTERN = re.compile(r"^gen-[a-z0-9_]+(?:-[a-z0-9_]+)*-(?:easy|medium|hard)-\d+$")
DEFAULT_SOURCE = Item.__dataclass_fields__["source"].default
_NULL = "tag:yaml.org,2002:null"
_STR = "tag:yaml.org,2002:str"
_BOOL = "tag:yaml.org,2002:bool"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_WORD = re.compile(r"\S*[^\W_]\S*")


class _ItemLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans: a choice "No" or "Yes" stays text."""


_ItemLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL, _TIMESTAMP)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_ItemLoader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a question file, with where it is."""

    file: str
    line: int | None
    item_id: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        who = f" item {self.item_id}:" if self.item_id else ""
        return f"{where}:{who} {self.message}"


@dataclass
class LoadResult:
    """The items that loaded cleanly, and every problem found."""

    items: list[Item] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def load_items(paths: str | Path | Iterable[str | Path]) -> LoadResult:
    """Load every item of the given files and directories (recursing into *.yaml, *.yml)."""
    result = LoadResult()
    seen: dict[str, tuple[str, int]] = {}
    for path in _expand(paths, result):
        result.files.append(str(path))
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            result.problems.append(Problem(str(path), None, None, f"cannot read file: {exc}"))
            continue
        items, problems = load_text(text, str(path), seen)
        result.items.extend(items)
        result.problems.extend(problems)
    return result


def validate_paths(paths: str | Path | Iterable[str | Path]) -> list[Problem]:
    """Every problem in the given files and directories; empty if all is well."""
    return load_items(paths).problems


def load_text(
    text: str, file: str = "<text>", seen: dict[str, tuple[str, int]] | None = None
) -> tuple[list[Item], list[Problem]]:
    """Load items from YAML text; ``seen`` (id → file, line) finds duplicates across files."""
    seen = {} if seen is None else seen
    problems: list[Problem] = []
    loader = _ItemLoader(text)
    try:
        try:
            root = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            detail = " ".join(str(p) for p in (exc.context, exc.problem) if p)
            line = mark.line + 1 if mark else None
            return [], [Problem(file, line, None, f"YAML syntax error: {detail}")]
        except yaml.YAMLError as exc:
            return [], [Problem(file, None, None, f"YAML error: {exc}")]
        if root is None:
            return [], []
        item_nodes = _item_nodes(root, file, problems)
        items = []
        for node in item_nodes:
            item = _ItemReader(node, file, loader, problems, seen).read()
            if item is not None:
                items.append(item)
        return items, problems
    finally:
        loader.dispose()


def _expand(paths: str | Path | Iterable[str | Path], result: LoadResult) -> Iterator[Path]:
    if isinstance(paths, str | Path):
        paths = [paths]
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(
                p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()
            )
        elif path.is_file():
            yield path
        else:
            result.problems.append(Problem(str(path), None, None, "no such file or directory"))


def _line(node: Node) -> int:
    return node.start_mark.line + 1


def _item_nodes(root: Node, file: str, problems: list[Problem]) -> list[Node]:
    if isinstance(root, MappingNode):
        for key, value in root.value:
            if isinstance(key, ScalarNode) and key.value == "items" and len(root.value) == 1:
                root = value
                break
        else:
            problems.append(
                Problem(
                    file,
                    _line(root),
                    None,
                    "expected a list of items (or a mapping with only items:)",
                )
            )
            return []
    if not isinstance(root, SequenceNode):
        problems.append(Problem(file, _line(root), None, "expected a list of items"))
        return []
    nodes = []
    for node in root.value:
        if isinstance(node, MappingNode):
            nodes.append(node)
        else:
            problems.append(
                Problem(file, _line(node), None, "each item must be a mapping of fields")
            )
    return nodes


class _ItemReader:
    """Reads one item mapping node, collecting problems with their lines."""

    def __init__(
        self,
        node: MappingNode,
        file: str,
        loader: _ItemLoader,
        problems: list[Problem],
        seen: dict[str, tuple[str, int]],
    ) -> None:
        self.node, self.file, self.loader, self.seen = node, file, loader, seen
        self.all_problems = problems
        self.count = 0
        self.id: str | None = None
        self.fields: dict[str, tuple[Node, Node]] = {}

    def problem(self, message: str, node: Node | None = None) -> None:
        line = _line(node) if node is not None else _line(self.node)
        self.all_problems.append(Problem(self.file, line, self.id, message))
        self.count += 1

    def at(self, name: str) -> Node:
        """The key node of field ``name`` (its line is the field's line)."""
        return self.fields[name][0]

    # -- typed field access -------------------------------------------------------

    def text(self, name: str) -> str | None:
        """A text field's raw string (never YAML-coerced to a number or bool)."""
        if name not in self.fields:
            return None
        key, value = self.fields[name]
        if isinstance(value, ScalarNode) and value.tag == _NULL:
            return None
        if not isinstance(value, ScalarNode):
            self.problem(f"{name} must be text", key)
            return None
        if not value.value.strip():
            self.problem(f"{name} is empty", key)
            return None
        return value.value

    def data(self, name: str) -> Any:
        """A field as plain Python data (for irt, figure, seed); None after a problem."""
        try:
            return self.loader.construct_document(self.fields[name][1])
        except yaml.YAMLError as exc:
            self.problem(f"{name} cannot be read: {getattr(exc, 'problem', exc)}", self.at(name))
            return None

    def read(self) -> Item | None:
        pairs = [(k, v) for k, v in self.node.value if isinstance(k, ScalarNode)]
        # The id first, so that every later problem can name the item.
        self.fields = {k.value: (k, v) for k, v in pairs}
        self._read_id()
        self.fields = {}
        for key, value in self.node.value:
            if not isinstance(key, ScalarNode):
                self.problem("field names must be plain words", key)
                continue
            if key.value in self.fields:
                first = _line(self.fields[key.value][0])
                self.problem(f"field {key.value} appears twice (first on line {first})", key)
            self.fields[key.value] = (key, value)
        for name in self.fields:
            if name not in REQUIRED and name not in OPTIONAL:
                hint = difflib.get_close_matches(name, REQUIRED + OPTIONAL, n=1)
                extra = f" (did you mean {hint[0]}?)" if hint else ""
                self.problem(f"unknown field {name!r}{extra}", self.at(name))
        for name in REQUIRED:
            if name not in self.fields:
                self.problem(f"missing required field {name}")
        item = self._build()
        return item if self.count == 0 else None

    def _read_id(self) -> None:
        if "id" not in self.fields:
            return
        raw = self.text("id")
        if raw is None:
            return
        self.id = raw
        node = self.at("id")
        if raw.startswith("gen-"):
            # An exported generated item keeps its id: gen-<generator>-<difficulty>-<seed>.
            if "generator" not in self.fields:
                self.problem("ids starting with gen- are reserved for generated items", node)
            elif not GENERATED_ID_PATTERN.match(raw):
                self.problem(f"id {raw!r} is not gen-<generator>-<difficulty>-<seed>", node)
        elif not ID_PATTERN.match(raw):
            self.problem(f"id {raw!r} must be lowercase letters, digits and hyphens", node)
        if raw in self.seen:
            file, line = self.seen[raw]
            self.problem(f"duplicate id {raw} (first defined at {file}:{line})", node)
        else:
            self.seen[raw] = (self.file, _line(node))

    def _build(self) -> Item | None:
        skill = self.text("skill")
        if skill is not None and skill not in SKILLS:
            hint = difflib.get_close_matches(skill, list(SKILLS), n=1)
            extra = f" (did you mean {hint[0]}?)" if hint else ""
            self.problem(f"unknown skill {skill!r}{extra}", self.at("skill"))
            skill = None
        difficulty = self.text("difficulty")
        if difficulty is not None and difficulty not in DIFFICULTIES:
            self.problem(
                f"unknown difficulty {difficulty!r} (easy, medium or hard)", self.at("difficulty")
            )
        item_type = self.text("type")
        if item_type is not None and item_type not in TYPES:
            self.problem(f"unknown type {item_type!r} (mcq or spr)", self.at("type"))
            item_type = None
        stem = self.text("stem")
        explanation = self.text("explanation")
        passage, passage2 = self.text("passage"), self.text("passage2")
        source = self.text("source") if "source" in self.fields else DEFAULT_SOURCE
        generator = self.text("generator")
        section = SKILLS[skill].section if skill else None
        if section == RW:
            self._check_passages(skill, passage, passage2)
        elif passage2 is not None and skill is not None:
            self.problem("passage2 is only for cross_text items", self.at("passage2"))
        choices: dict[str, str] = {}
        key: str | list[str] | None = None
        if item_type == "mcq":
            choices = self._choices()
            key = self._mcq_key(choices)
        elif item_type == "spr":
            if section == RW:
                self.problem(
                    "spr (student-produced response) is Math only; Reading and Writing items are mcq",
                    self.at("type"),
                )
            if "choices" in self.fields:
                self.problem("spr items have no choices", self.at("choices"))
            key = self._spr_key()
        hints = self._hints()
        irt = self._irt()
        figure = self._figure()
        seed = self._seed()
        texts: list[tuple[str, str | None, str]] = [
            (name, value, name)
            for name, value in (
                ("stem", stem),
                ("passage", passage),
                ("passage2", passage2),
                ("explanation", explanation),
            )
        ]
        texts += [(f"choice {k}", v, "choices") for k, v in choices.items()]
        texts += [(f"hint {i}", h, "hints") for i, h in enumerate(hints, 1)]
        for name, value, where in texts:
            self._no_latex(name, value, where)
        if self.count or None in (skill, difficulty, item_type, stem, key, explanation):
            return None
        return Item(
            id=self.id or "",
            skill=skill,  # type: ignore[arg-type]
            difficulty=difficulty,  # type: ignore[arg-type]
            type=item_type,  # type: ignore[arg-type]
            stem=stem,  # type: ignore[arg-type]
            key=key,  # type: ignore[arg-type]
            explanation=explanation,  # type: ignore[arg-type]
            choices=choices,
            passage=passage,
            passage2=passage2,
            hints=hints,
            irt=irt,
            figure=figure,
            source=source or DEFAULT_SOURCE,
            generator=generator,
            seed=seed,
        )

    # -- checks -------------------------------------------------------------------

    def _check_passages(self, skill: str | None, passage: str | None, passage2: str | None) -> None:
        low, high = PASSAGE_WORDS
        if passage is None:
            if "passage" not in self.fields:
                self.problem(f"Reading and Writing items need a passage ({low}–{high} words)")
            return
        texts = [("passage", passage)]
        if skill == "cross_text":
            if passage2 is None:
                if "passage2" not in self.fields:
                    self.problem(
                        "cross_text items need passage2 (Text 2) as well as passage (Text 1)"
                    )
            else:
                texts.append(("passage2", passage2))
        elif passage2 is not None:
            self.problem("passage2 is only for cross_text items", self.at("passage2"))
        for name, text in texts:
            words = len(_WORD.findall(text))
            if not low <= words <= high:
                self.problem(f"{name} has {words} words; it must have {low}–{high}", self.at(name))

    def _choices(self) -> dict[str, str]:
        if "choices" not in self.fields:
            self.problem("mcq items need choices A, B, C and D")
            return {}
        key_node, node = self.fields["choices"]
        if not isinstance(node, MappingNode):
            self.problem("choices must be a mapping A: ..., B: ..., C: ..., D: ...", key_node)
            return {}
        choices: dict[str, str] = {}
        letters = []
        for k, v in node.value:
            letter = k.value if isinstance(k, ScalarNode) else "?"
            letters.append(letter)
            if not isinstance(v, ScalarNode) or v.tag == _NULL or not v.value.strip():
                self.problem(f"choice {letter} must be non-empty text", k)
                continue
            choices[letter] = v.value
        if sorted(letters) != list(CHOICE_LETTERS):
            found = ", ".join(letters) or "none"
            self.problem(f"mcq needs exactly four choices A, B, C, D (found {found})", key_node)
        by_text: dict[str, str] = {}
        for letter, text in choices.items():
            norm = " ".join(text.split()).casefold()
            if norm in by_text:
                self.problem(f"choices {by_text[norm]} and {letter} have the same text", key_node)
            by_text.setdefault(norm, letter)
        return choices

    def _mcq_key(self, choices: dict[str, str]) -> str | None:
        if "key" not in self.fields:
            return None
        key = self.text("key")
        if key is None:
            return None
        if key not in CHOICE_LETTERS:
            self.problem(f'key "{key}" is not one of the choices A–D', self.at("key"))
            return None
        return key

    def _spr_key(self) -> list[str] | None:
        if "key" not in self.fields:
            return None
        key_node, node = self.fields["key"]
        if not isinstance(node, SequenceNode) or not node.value:
            self.problem(
                'spr key must be a non-empty list of accepted entries, e.g. ["7/2", "3.5"]',
                key_node,
            )
            return None
        keys = []
        for entry in node.value:
            if not isinstance(entry, ScalarNode):
                self.problem("each spr key must be a single entry such as 7/2", entry)
                continue
            why = valid_key(entry.value)
            if why is not None:
                self.problem(f'spr key "{entry.value}" breaks the entry rules: {why}', entry)
            keys.append(entry.value)
        return keys

    def _hints(self) -> list[str]:
        if "hints" not in self.fields:
            return []
        key_node, node = self.fields["hints"]
        if not isinstance(node, SequenceNode):
            self.problem("hints must be a list of texts", key_node)
            return []
        hints = []
        for h in node.value:
            if not isinstance(h, ScalarNode) or h.tag == _NULL or not h.value.strip():
                self.problem("each hint must be non-empty text", h)
            else:
                hints.append(h.value)
        return hints

    def _irt(self) -> IrtParams | None:
        if "irt" not in self.fields:
            return None
        raw = self.data("irt")
        where = self.at("irt")
        if not isinstance(raw, dict) or set(raw) != {"a", "b", "c"}:
            self.problem("irt must be {a: ..., b: ..., c: ...}", where)
            return None
        if not all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            for v in raw.values()
        ):
            self.problem("irt a, b and c must be numbers", where)
            return None
        a, b, c = float(raw["a"]), float(raw["b"]), float(raw["c"])
        if a <= 0:
            self.problem(f"irt a = {raw['a']} must be greater than 0", where)
        if not 0 <= c < 0.5:
            self.problem(f"irt c = {raw['c']} must be at least 0 and below 0.5", where)
        return IrtParams(a, b, c)

    def _figure(self) -> dict[str, Any] | None:
        if "figure" not in self.fields:
            return None
        spec = self.data("figure")
        for message in validate_figure(spec):
            self.problem(message, self.at("figure"))
        if isinstance(spec, dict):
            for text in _strings(spec):
                self._no_latex("figure", text, "figure")
        return spec if isinstance(spec, dict) else None

    def _seed(self) -> int | None:
        if "seed" not in self.fields:
            return None
        seed = self.data("seed")
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            self.problem("seed must be a whole number", self.at("seed"))
            return None
        return seed

    def _no_latex(self, name: str, text: str | None, where: str) -> None:
        found = find_latex(text) if text else None
        if found:
            self.problem(
                f"{name} contains LaTeX ({found!r}); write math in plain Unicode (x², √, π, a/b)",
                self.at(where),
            )


def _strings(data: Any) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for k, v in data.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(data, list):
        for v in data:
            yield from _strings(v)


# -- writing --------------------------------------------------------------------------


class _ItemDumper(yaml.SafeDumper):
    """Block style for items and long text, flow style for short lists and pairs."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent a list under its field ("hints:\n    - ..."), as the format doc shows.
        super().increase_indent(flow, False)


class _Quoted(str):
    """Text always written in double quotes (SPR keys: "7/2", "3.5")."""


def _represent_quoted(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    return dumper.represent_scalar(_STR, str(text), style='"')


def _represent_str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar(_STR, text, style=style)


def _short(value: Any) -> bool:
    if isinstance(value, str):
        return "\n" not in value and len(value) <= 24
    return value is None or isinstance(value, int | float)


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.SequenceNode:
    flow = all(_short(v) for v in data) or all(
        isinstance(v, list) and all(_short(x) for x in v) and len(v) <= 4 for v in data
    )
    return dumper.represent_sequence(
        "tag:yaml.org,2002:seq", data, flow_style=flow and len(data) <= 30
    )


def _represent_dict(dumper: yaml.SafeDumper, data: dict[Any, Any]) -> yaml.MappingNode:
    flow = (
        len(data) <= 4
        and all(_short(v) or _short_list(v) for v in data.values())
        and "kind" not in data  # a figure
        and not set(data) & set(CHOICE_LETTERS)  # choices read best one per line
    )
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=flow)


def _short_list(value: Any) -> bool:
    return isinstance(value, list) and len(value) <= 3 and all(_short(v) for v in value)


_ItemDumper.add_representer(str, _represent_str)
_ItemDumper.add_representer(_Quoted, _represent_quoted)
_ItemDumper.add_representer(list, _represent_list)
_ItemDumper.add_representer(dict, _represent_dict)


def item_to_dict(item: Item) -> dict[str, Any]:
    """An item as the plain mapping of the file format (fields in the documented order)."""
    data: dict[str, Any] = {
        "id": item.id,
        "skill": item.skill,
        "difficulty": item.difficulty,
        "type": item.type,
        "passage": item.passage,
        "passage2": item.passage2,
        "stem": item.stem,
        "choices": dict(sorted(item.choices.items())) if item.choices else None,
        "key": [_Quoted(k) for k in item.key] if isinstance(item.key, list) else item.key,
        "explanation": item.explanation,
        "hints": list(item.hints) or None,
        "irt": {"a": item.irt.a, "b": item.irt.b, "c": item.irt.c} if item.irt else None,
        "figure": item.figure,
        "source": item.source if item.source != DEFAULT_SOURCE else None,
        "generator": item.generator,
        "seed": item.seed,
    }
    return {k: v for k, v in data.items() if v is not None}


def dump_items(items: Sequence[Item]) -> str:
    """Items as YAML in the documented format; ``load_text(dump_items(xs))`` gives xs back."""
    chunks = []
    for item in items:
        chunks.append(
            yaml.dump(
                [item_to_dict(item)],
                Dumper=_ItemDumper,
                sort_keys=False,
                allow_unicode=True,
                width=4096,  # one line per paragraph: folded lines are hard to edit
                default_flow_style=False,
            )
        )
    return "\n".join(chunks)


# -- command line ---------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Validate question files; print problems and return 1, or a summary and 0."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        print("usage: python -m core.content.loader PATH...", file=sys.stderr)
        return 2
    result = load_items(args)
    for problem in sorted(result.problems, key=lambda p: (p.file, p.line or 0)):
        print(problem)
    if result.problems:
        print(f"{len(result.problems)} problem(s) in {len(result.files)} file(s)", file=sys.stderr)
        return 1
    sections: dict[str, int] = {}
    for item in result.items:
        sections[item.section] = sections.get(item.section, 0) + 1
    parts = ", ".join(
        f"{n} {'R&W' if s == RW else 'Math'}" for s, n in sorted(sections.items(), reverse=True)
    )
    print(
        f"OK: {len(result.items)} items in {len(result.files)} file(s)"
        + (f" ({parts})" if parts else "")
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
