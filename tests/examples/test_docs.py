"""docs/: the generated reference matches schema.json, and relative links in the docs resolve."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from tests.support.paths import REPO_ROOT

GENERATOR = REPO_ROOT / "docs" / "gen_reference.py"
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def generate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(GENERATOR), *args],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_committed_reference_matches_schema():
    result = generate("--check")
    assert result.returncode == 0, result.stderr


def test_reference_covers_every_resource_function_and_input():
    schema = json.loads((REPO_ROOT / "schema.json").read_text())
    reference = REPO_ROOT / "docs" / "reference"
    for token, spec in [*schema["resources"].items(), *schema["functions"].items()]:
        page = (reference / f"{token.rsplit(':', 1)[-1]}.md").read_text()
        inputs = spec.get("inputProperties") or spec.get("inputs", {}).get("properties", {})
        for name in inputs:
            assert f"| `{name}` |" in page, (token, name)
    provider = (reference / "provider.md").read_text()
    assert "CLOUDRAYA_ENDPOINT" in provider and "CLOUDRAYA_API_TOKEN" in provider


def test_check_fails_and_names_the_page_when_the_schema_changed(tmp_path):
    schema = json.loads((REPO_ROOT / "schema.json").read_text())
    spec = schema["resources"]["cloudraya:index:Registry"]
    spec["inputProperties"]["storageGb"]["description"] = "Changed."
    changed = tmp_path / "schema.json"
    changed.write_text(json.dumps(schema))
    result = generate("--check", "--schema", str(changed))
    assert result.returncode == 1
    assert "docs/reference/Registry.md is stale: run `make docs`" in result.stderr
    assert "RegistrySettings.md" not in result.stderr

    out = tmp_path / "reference"
    assert generate("--schema", str(changed), "--out", str(out)).returncode == 0
    assert "| Changed. |" in (out / "Registry.md").read_text()
    assert generate("--check", "--schema", str(changed), "--out", str(out)).returncode == 0


def test_relative_links_in_the_docs_resolve():
    pages = [REPO_ROOT / "README.md", REPO_ROOT / "CHANGELOG.md"]
    pages += sorted((REPO_ROOT / "docs").rglob("*.md"))
    pages += sorted((REPO_ROOT / "examples").glob("*/README.md"))
    broken = []
    for page in pages:
        for target in LINK.findall(page.read_text()):
            if "://" in target or target.startswith("mailto:"):
                continue
            if not (page.parent / target).exists():
                broken.append(f"{page.relative_to(REPO_ROOT)} -> {target}")
    assert broken == []
