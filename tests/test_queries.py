"""The named-query loader."""

from pathlib import Path

import pytest

from service.paths import QUERIES_DIR
from service.queries import load_queries, parse_queries


def test_parses_names_kinds_and_strips_comments() -> None:
    queries = parse_queries(
        "-- What this file is about.\n\n-- name: one^\n-- Returns a row.\nSELECT 1;\n\n"
        "-- name: many\nSELECT 2\n"
        "-- name: run!\nDO $$ BEGIN END $$;"
    )
    assert {name: (q.kind, q.sql) for name, q in queries.items()} == {
        "one": ("^", "SELECT 1"),
        "many": ("", "SELECT 2"),
        "run": ("!", "DO $$ BEGIN END $$"),
    }


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("SELECT 1;", "no '-- name:' lines"),
        ("SELECT 0;\n-- name: a\nSELECT 1;", "before the first"),
        ("-- name: a\n-- only a comment\n", "has no statement"),
        ("-- name: a\nSELECT 1;\n-- name: a\nSELECT 2;", "defined twice"),
    ],
)
def test_rejects_malformed_files(text: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        parse_queries(text)


def test_duplicate_names_across_files_are_rejected(tmp_path: Path) -> None:
    (tmp_path / "a.sql").write_text("-- name: same\nSELECT 1;")
    (tmp_path / "b.sql").write_text("-- name: same\nSELECT 2;")
    with pytest.raises(ValueError, match="already defined"):
        load_queries(tmp_path)


def test_project_queries_load_and_unknown_names_fail_clearly() -> None:
    queries = load_queries(QUERIES_DIR)
    assert "insert_message" in queries
    with pytest.raises(AttributeError, match="no query named 'nope'"):
        _ = queries.nope


def test_no_sql_text_is_formatted_in_python() -> None:
    for path in (Path(__file__).parent.parent / "service").glob("*.py"):
        text = path.read_text()
        for keyword in ("SELECT ", "INSERT INTO", "UPDATE ", "DELETE FROM"):
            assert keyword not in text, f"{path.name} holds SQL ({keyword.strip()})"
