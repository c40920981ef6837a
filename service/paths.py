"""Where the project's non-Python files live."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = ROOT / "sql"
QUERIES_DIR = SQL_DIR / "queries"
TEMPLATES_DIR = ROOT / "templates"
STATIC_DIR = ROOT / "static"
