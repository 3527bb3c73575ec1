"""Dependencies run one way: ``chat -> tools -> files -> storage``, and s3mock stands apart.

Read from the source (every import statement, at any depth, lazy ones included) and
from the migration graph, so a late ``import`` inside a function counts too.
Tests are left out: they may set up a chat to exercise a file door.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.db.migrations.loader import MigrationLoader

ROOT = Path(__file__).resolve().parents[2]
PRODUCT_APPS = {"chatui", "files", "chat", "tools"}
FORBIDDEN = {
    "files": {"chat", "tools"},
    "tools": {"chat"},
    "s3mock": PRODUCT_APPS,
}


def imported_packages(path: Path) -> set[str]:
    """Top-level packages ``path`` imports (relative imports stay inside the app)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def source_files(app: str) -> list[Path]:
    return [p for p in sorted((ROOT / app).rglob("*.py")) if "tests" not in p.parts]


@pytest.mark.parametrize("app", sorted(FORBIDDEN))
def test_an_app_never_imports_what_depends_on_it(app: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & FORBIDDEN[app])
        for path in source_files(app)
        if imported_packages(path) & FORBIDDEN[app]
    }
    assert source_files(app), f"no sources found for {app}"
    assert offenders == {}


def test_the_checker_sees_a_late_import(tmp_path: Path) -> None:
    module = tmp_path / "late.py"
    module.write_text("def f():\n    from chat.models import ChatSession\n    import tools.x\n")
    assert imported_packages(module) == {"chat", "tools"}


@pytest.mark.django_db
def test_files_and_tools_migrations_do_not_depend_on_chat() -> None:
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    for app in ("files", "tools"):
        for key in graph.leaf_nodes(app):
            ancestors = {label for label, _name in graph.forwards_plan(key)}
            assert "chat" not in ancestors, f"{key} depends on chat's migrations"
