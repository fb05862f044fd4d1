"""The shape docs/architecture.md describes, checked so it stays true."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "scheduler"
WEB = PACKAGE / "web"
BLUEPRINTS = sorted(p.name for p in WEB.iterdir() if (p / "routes.py").exists())
#: A module past this many lines is doing more than one job (issue 12).
MOST_LINES = 400


def _modules(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


def _imports(module: Path) -> set[str]:
    """Every module name ``module`` imports, absolute."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(module.read_text(), str(module))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_the_blueprints_are_the_ones_the_architecture_names():
    assert BLUEPRINTS == [
        "admin",
        "auth",
        "counseling",
        "family",
        "feeds",
        "manage",
        "public",
    ]


@pytest.mark.parametrize("blueprint", BLUEPRINTS)
def test_no_blueprint_imports_another(blueprint):
    others = [f"scheduler.web.{name}" for name in BLUEPRINTS if name != blueprint]
    found = {
        (module.relative_to(PACKAGE).as_posix(), name)
        for module in _modules(WEB / blueprint)
        for name in _imports(module)
        if any(name == other or name.startswith(other + ".") for other in others)
    }
    assert not found, "share it through scheduler/web/forms.py or web/presenters/"


@pytest.mark.parametrize(
    ("layer", "must_not_import"),
    [
        ("models", ("scheduler.services", "scheduler.web", "flask")),
        ("services", ("scheduler.web",)),
    ],
)
def test_lower_layers_never_import_higher_ones(layer, must_not_import):
    found = {
        (module.relative_to(PACKAGE).as_posix(), name)
        for module in _modules(PACKAGE / layer)
        for name in _imports(module)
        if any(name == banned or name.startswith(banned + ".") for banned in must_not_import)
    }
    assert not found


def test_no_module_does_so_much_that_it_passes_four_hundred_lines():
    long = {
        module.relative_to(PACKAGE).as_posix(): lines
        for module in _modules(PACKAGE)
        if (lines := len(module.read_text().splitlines())) > MOST_LINES
    }
    assert not long


def test_rows_are_locked_only_through_the_lock_helper():
    """One helper sorts ids and refuses to lock outside a write transaction."""
    locking = {
        module.relative_to(PACKAGE).as_posix()
        for module in _modules(PACKAGE)
        for node in ast.walk(ast.parse(module.read_text()))
        if isinstance(node, ast.Attribute) and node.attr == "with_for_update"
    }
    assert locking == {"services/locks.py"}


ARCHITECTURE = PACKAGE.parent / "docs" / "architecture.md"


def test_every_module_the_architecture_names_exists():
    text = ARCHITECTURE.read_text()
    root = PACKAGE.parent
    paths = set(re.findall(r"`((?:web|services|models|mail|tests)/[\w/]*?(?:\.py|/))`", text))
    missing = sorted(
        path for path in paths if not (PACKAGE / path).exists() and not (root / path).exists()
    )
    # A bare file name ("links.py", "routes.py") must name a file somewhere in the project.
    files = {path.name for folder in (PACKAGE, root / "tests") for path in folder.rglob("*.py")}
    missing += sorted(set(re.findall(r"`([\w]+\.py)`", text)) - files)
    assert not missing


def test_the_architecture_names_every_service_module_and_package():
    text = ARCHITECTURE.read_text()
    services = PACKAGE / "services"
    unnamed = sorted(
        path.name
        for path in services.iterdir()
        if path.name != "__init__.py"
        and (path.suffix == ".py" or (path / "__init__.py").exists())
        and f"services/{path.name}{'' if path.suffix else '/'}" not in text
    )
    assert not unnamed
