"""The documentation a new user reads keeps up with the code: every setting is in the deployment
guide, and every relative link of the README and docs/ (screenshots included) leads to a file."""

from __future__ import annotations

import re
from pathlib import Path

from accord_server.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def _documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def dead_links(path: Path) -> list[str]:
    """Relative link targets of a Markdown file that name no file or folder."""
    targets = LINK.findall(path.read_text(encoding="utf-8"))
    return [
        t
        for t in targets
        if "://" not in t and not t.startswith("mailto:") and not (path.parent / t).exists()
    ]


def test_the_check_finds_a_dead_link(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    (tmp_path / "there.png").write_bytes(b"")
    page.write_text("![a](there.png) [b](gone.md#x) [c](https://example.com/x) [d](there.png#y)")
    assert dead_links(page) == ["gone.md"]


def test_readme_and_docs_have_no_dead_links() -> None:
    dead = {str(p.relative_to(ROOT)): dead_links(p) for p in _documents()}
    assert {k: v for k, v in dead.items() if v} == {}


def test_every_setting_is_in_the_deployment_guide() -> None:
    guide = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`(ACCORD_[A-Z0-9_]+)`", guide))
    settings = {f"ACCORD_{name.upper()}" for name in Settings.model_fields}
    assert sorted(settings - named) == []
    assert sorted(named - settings) == []
