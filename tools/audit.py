"""`make audit`: known vulnerabilities in the Python and npm dependencies, and plainly which
ones could not be checked.

pip-audit (in its own virtualenv, `tools/audit-requirements.txt`) audits the packages installed
in `.venv`; `npm audit` the web app's lock file. Either tool reports "no known vulnerabilities"
for what it never looked up: pip-audit skips a package whose lookup failed (only its JSON says
so), and npm audit fails on a registry without the audit endpoint. This script reads their
JSON and says, per ecosystem, how many packages were checked, which have advisories, and which
could not be checked and why.

Exit status: 0 every package checked, none vulnerable; 1 a known vulnerability; 3 something
could not be checked (and nothing known vulnerable).
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VULNERABLE, UNCHECKED = 1, 3


@dataclass
class Report:
    ecosystem: str
    checked: int = 0
    vulnerable: list[str] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)
    """What could not be checked, each with its reason."""

    def lines(self) -> list[str]:
        out = [
            f"{self.ecosystem}: {self.checked} checked, {len(self.vulnerable)} vulnerable, "
            f"{len(self.unchecked)} NOT checked"
        ]
        out += [f"  VULNERABLE {v}" for v in self.vulnerable]
        shown = self.unchecked[:10]
        out += [f"  not checked: {u}" for u in shown]
        if len(self.unchecked) > len(shown):
            out.append(f"  ... and {len(self.unchecked) - len(shown)} more not checked")
        return out


def read_pip_audit(output: str, stderr: str = "") -> Report:
    """pip-audit's ``-f json`` output (or its failure) as a report."""
    report = Report("python")
    try:
        data = json.loads(output)
    except ValueError:
        reason = stderr.strip().splitlines()[-1] if stderr.strip() else "no output"
        report.unchecked.append(f"every package (pip-audit failed: {reason})")
        return report
    for dep in data.get("dependencies", []):
        name = f"{dep.get('name')} {dep.get('version', '')}".strip()
        skip = dep.get("skip_reason")
        if skip:
            if "editable" not in skip:  # our own packages, from this repository
                report.unchecked.append(f"{name}: {skip}")
            continue
        report.checked += 1
        for vuln in dep.get("vulns", []):
            fixes = ", ".join(vuln.get("fix_versions", [])) or "no fixed version"
            report.vulnerable.append(f"{name}: {vuln.get('id')} (fixed in {fixes})")
    return report


def read_npm_audit(output: str, stderr: str = "") -> Report:
    """``npm audit --json`` output (or its failure) as a report."""
    report = Report("npm")
    try:
        data: dict[str, Any] = json.loads(output) if output.strip() else {}
    except ValueError:
        data = {}
    if "error" in data or "metadata" not in data:
        error = data.get("error") if isinstance(data.get("error"), dict) else {}
        reason = (
            (error or {}).get("summary") or data.get("message") or stderr.strip() or "no output"
        )
        report.unchecked.append(f"every package (npm audit failed: {str(reason).splitlines()[0]})")
        return report
    metadata = data["metadata"]
    report.checked = int(metadata.get("dependencies", {}).get("total", 0))
    for name, vuln in sorted(data.get("vulnerabilities", {}).items()):
        report.vulnerable.append(f"{name}: {vuln.get('severity')} ({vuln.get('range', '')})")
    return report


def run(args: list[str], cwd: Path = ROOT) -> tuple[str, str]:
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=600)
    return done.stdout, done.stderr


def main() -> int:
    pip_audit = ROOT / ".audit-venv" / "bin" / "pip-audit"
    site = next((ROOT / ".venv" / "lib").glob("python3*/site-packages"))
    reports = [
        read_pip_audit(
            *run(
                [
                    str(pip_audit),
                    "--path",
                    str(site),
                    "--skip-editable",
                    "-f",
                    "json",
                    "--progress-spinner",
                    "off",
                    "--timeout",
                    "15",
                ]
            )
        ),
        read_npm_audit(*run(["npm", "audit", "--json"], cwd=ROOT / "web")),
    ]
    for report in reports:
        print("\n".join(report.lines()))
    if any(r.vulnerable for r in reports):
        return VULNERABLE
    if any(r.unchecked for r in reports):
        print("Could not check every dependency (see above): this is NOT a clean bill of health.")
        return UNCHECKED
    print("Every dependency checked: no known vulnerabilities.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
