"""`make audit` (tools/audit.py) never calls a dependency "no known vulnerabilities" that it could
not look up (issue 13, finding 9): pip-audit's skipped packages and npm audit's failures are
reported as NOT checked, with their reason, and the exit status says so."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "audit.py"
spec = importlib.util.spec_from_file_location("accord_audit", SCRIPT)
assert spec is not None and spec.loader is not None
audit = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = audit  # dataclasses look their module up
spec.loader.exec_module(audit)

SKIPPED = "Dependency not found on PyPI and could not be audited: anyio (4.16.0)"


def test_packages_pip_audit_skipped_are_not_checked_but_our_editables_are_ignored() -> None:
    # What pip-audit printed here, with "No known vulnerabilities found" and exit status 0.
    output = json.dumps(
        {
            "dependencies": [
                {"name": "accord-server", "skip_reason": "distribution marked as editable"},
                {"name": "anyio", "skip_reason": SKIPPED},
                {"name": "orjson", "version": "3.11.0", "vulns": []},
            ]
        }
    )
    report = audit.read_pip_audit(output)
    assert (report.checked, report.vulnerable) == (1, [])
    assert report.unchecked == [f"anyio: {SKIPPED}"]
    assert "python: 1 checked, 0 vulnerable, 1 NOT checked" in report.lines()[0]


def test_a_vulnerability_is_named_with_its_fix() -> None:
    output = json.dumps(
        {
            "dependencies": [
                {
                    "name": "jinja2",
                    "version": "2.4.1",
                    "vulns": [{"id": "PYSEC-2014-8", "fix_versions": ["2.7.2"]}],
                }
            ]
        }
    )
    report = audit.read_pip_audit(output)
    assert report.vulnerable == ["jinja2 2.4.1: PYSEC-2014-8 (fixed in 2.7.2)"]


def test_pip_audit_failing_outright_leaves_everything_unchecked() -> None:
    stderr = "Traceback ...\nrequests.exceptions.ConnectionError: Failed to resolve 'api.osv.dev'"
    report = audit.read_pip_audit("", stderr)
    assert report.checked == 0
    assert report.unchecked == [
        "every package (pip-audit failed: requests.exceptions.ConnectionError: "
        "Failed to resolve 'api.osv.dev')"
    ]


def test_npm_audit_without_the_advisory_endpoint_is_unchecked() -> None:
    # What `npm audit --json` printed against this registry (it has no bulk advisory endpoint).
    output = json.dumps(
        {
            "message": "405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/"
            "security/advisories/bulk",
            "statusCode": 405,
            "error": {"code": "E405", "summary": "405 Method Not Allowed - POST ..."},
        }
    )
    report = audit.read_npm_audit(output)
    assert report.checked == 0
    assert report.unchecked == [
        "every package (npm audit failed: 405 Method Not Allowed - POST ...)"
    ]


def test_npm_audit_results_are_counted() -> None:
    output = json.dumps(
        {
            "vulnerabilities": {"vite": {"severity": "moderate", "range": "<8.3.2"}},
            "metadata": {"dependencies": {"total": 312}},
        }
    )
    report = audit.read_npm_audit(output)
    assert (report.checked, report.vulnerable, report.unchecked) == (
        312,
        ["vite: moderate (<8.3.2)"],
        [],
    )
