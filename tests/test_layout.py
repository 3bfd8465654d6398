"""The layout's limits: a short root in core/, no overgrown folder, and the import-linter contracts kept."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "core"
MAX_ROOT_MODULES = 12
MAX_FOLDER_MODULES = 20


def _modules(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*.py"))


def test_the_root_of_core_holds_at_most_12_modules() -> None:
    modules = _modules(CORE)
    assert len(modules) <= MAX_ROOT_MODULES, f"core/ has {len(modules)} modules: {', '.join(modules)}"


def test_no_folder_under_core_holds_more_than_20_modules() -> None:
    folders = [Path(d) for d, _, _ in os.walk(CORE) if "__pycache__" not in Path(d).parts]
    assert len(folders) > 1
    crowded = {
        str(f.relative_to(ROOT)): len(_modules(f)) for f in folders if len(_modules(f)) > MAX_FOLDER_MODULES
    }
    assert crowded == {}, "split these folders into sub-packages"


def test_the_import_contracts_are_kept() -> None:
    if importlib.util.find_spec("importlinter") is None:
        pytest.skip("import-linter is not installed (it comes with the [dev] extra)")
    out = subprocess.run(
        [str(ROOT / "scripts" / "lint-imports")],
        env={**os.environ, "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "0 broken" in out.stdout


ARCHITECTURE = ROOT / "docs" / "architecture.md"


def test_every_sub_package_is_described_in_the_architecture_doc() -> None:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    packages = [
        p.parent for p in CORE.rglob("__init__.py") if p.parent != CORE and "templates" not in p.parts
    ]
    assert len(packages) >= 8
    missing = [str(p.relative_to(CORE)) for p in packages if f"{p.name}/" not in text]
    assert missing == []


def test_every_module_the_architecture_doc_names_exists() -> None:
    named = set(re.findall(r"`([a-z_/]+\.py)`", ARCHITECTURE.read_text(encoding="utf-8")))
    assert len(named) > 20
    # Paths are written from core/ ("cli/run.py"), or from the repository root ("skills/...", "tests/...").
    missing = [path for path in sorted(named) if not ((CORE / path).is_file() or (ROOT / path).is_file())]
    assert missing == []
