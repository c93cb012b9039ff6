"""Rendering and the command mapping, without a network."""

from __future__ import annotations

from adapters.discord.commands import slash_path, topic_choices
from adapters.discord.render import (
    CONTENT_LIMIT,
    DESCRIPTION_LIMIT,
    markup,
    render,
    render_edit,
    split,
)
from adapters.discord.views import AnswerButton, PayloadButton
from core.chat.messages import Button, Edit, Text


def test_bold_becomes_discord_bold_and_the_rest_is_escaped() -> None:
    assert markup("*Rule* a_b ~x~ `y`\n> z\n# h") == "**Rule** a\\_b \\~x\\~ \\`y\\`\n\\> z\n\\# h"
    assert markup("2*3 = 6") == r"2\*3 = 6"


def test_long_texts_are_split_within_the_limits() -> None:
    paragraph = "word " * 300
    text = "\n\n".join([paragraph] * 10)
    pieces = split(text, CONTENT_LIMIT)
    assert all(len(p) <= CONTENT_LIMIT for p in pieces) and len(pieces) >= 8
    assert "".join(pieces).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace(
        "\n", ""
    )
    assert split(r"\*" * 1500, CONTENT_LIMIT)[0][-1] != "\\"  # an escape stays whole

    messages = render(Text(text))
    assert len(messages) == len(pieces) and all(m.content for m in messages)
    question = render(Text("Q 1/10\n\n" + text, buttons=((Button("A", "abcdefghij.A"),),)))
    assert all(len(m.embeds[0].description or "") <= DESCRIPTION_LIMIT for m in question)
    assert question[0].embeds[0].title == "Q 1/10"
    assert [m.view is not None for m in question] == [False] * (len(question) - 1) + [True]


def test_buttons_wrap_at_five_per_row_and_stop_at_five_rows() -> None:
    row = tuple(Button(f"{i}", f"abcdefghij.{i}") for i in range(7))
    (msg,) = render(Text("Pick", buttons=(row,) * 4, expects_reply="Type it"))
    assert msg.view is not None
    rows: dict[int, list[str]] = {}
    for item in msg.view.children:
        rows.setdefault(item.row or 0, []).append(item.custom_id)  # type: ignore[attr-defined]
    assert len(rows) == 5 and all(len(r) <= 5 for r in rows.values())
    assert all(isinstance(i, PayloadButton | AnswerButton) for i in msg.view.children)


def test_an_edit_drops_the_buttons() -> None:
    edited = render_edit(Edit("What is *x*?\n\n(your answer: B)"))
    assert edited.view is None and edited.edit_kwargs()["view"] is None
    assert edited.embeds[0].description == "What is **x**?\n\n(your answer: B)"


def test_group_commands_map_to_subcommands() -> None:
    names = {"practice", "group", "group_join", "group_leave", "tutor"}
    assert slash_path("group_join", names) == ("group", "join")
    assert slash_path("group", names) == ("group", "show")
    assert slash_path("tutor", names) == (None, "tutor")  # no tutor_… yet: stays plain
    assert slash_path("tutor_ask", names | {"tutor_ask"}) == ("tutor", "ask")
    assert slash_path("practice", names) == (None, "practice")


def test_topic_choices_match_names_and_codes() -> None:
    geometry = [c.value for c in topic_choices("geometry")]
    assert geometry[0] == "geometry_trig" and "circles" in geometry
    assert "linear_one_var" in [c.value for c in topic_choices("linear_one")]
    assert [c.value for c in topic_choices("math")][:1] == ["math"]
