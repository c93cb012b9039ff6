"""The satprep command line, run in-process on a fresh data directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SATPREP_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("SATPREP_DATABASE_URL", raising=False)
    monkeypatch.delenv("SATPREP_DISCORD_TOKEN", raising=False)
    return tmp_path


def test_db_commands(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade"]) == 0
    assert main(["db", "current"]) == 0
    assert capsys.readouterr().out.strip().endswith("0001")
    assert main(["db", "downgrade"]) == 0
    assert "base" in capsys.readouterr().out


def test_questions_validate_import_export_stats(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = env / "bad.yaml"
    bad.write_text(
        "- id: rw-x-1\n  skill: knitting\n  difficulty: easy\n  type: mcq\n  stem: Q?\n"
        "  choices: {A: a, B: b, C: c, D: d}\n  key: E\n  explanation: e\n"
    )
    assert main(["questions", "validate", str(bad)]) == 1
    err = capsys.readouterr()
    assert "bad.yaml:2" in err.out + err.err
    assert main(["questions", "import", str(bad)]) == 1
    assert "nothing imported" in capsys.readouterr().err
    assert main(["questions", "stats"]) == 0
    assert "Words in Context" in capsys.readouterr().out
    out = env / "export.yaml"
    assert main(["questions", "export", "--bank", "core", "-o", str(out)]) == 0
    assert "rw-wic-001" in out.read_text()


def test_users_and_discord_commands_refuse_clearly(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["users", "export", "nobody"]) == 1
    assert main(["discord", "sync"]) == 2
    assert "SATPREP_DISCORD_TOKEN" in capsys.readouterr().err


def test_simulate_prints_the_report(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--examinees", "50", "--bank-size", "300", "--randomesque", "3"]) == 0
    out = capsys.readouterr().out
    assert "RMSE" in out and "max item exposure" in out


@pytest.fixture(autouse=True)
def _restore_logging():  # type: ignore[no-untyped-def]
    """The CLI configures logging for the process; put it back for other tests."""
    import logging

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    httpx_level = logging.getLogger("httpx").level
    yield
    for handler in root.handlers:
        if handler not in handlers:
            root.removeHandler(handler)
    for handler in handlers:
        handler.filters = [f for f in handler.filters if type(f).__name__ != "RedactSecrets"]
    root.setLevel(level)
    logging.getLogger("httpx").setLevel(httpx_level)
