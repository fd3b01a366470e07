"""The audit's offline rules: age, file modes, duplicates and the 10-credential limit."""

from __future__ import annotations

import os
from datetime import date, datetime, timezone

from csauth_tui.core.audit import (
    AuditReport,
    ProfileResult,
    age_finding,
    cross_findings,
    file_findings,
)
from csauth_tui.core.audit_report import to_csv, to_markdown, to_text

TODAY = date(2026, 11, 29)


def age(created):
    result = ProfileResult("p")
    age_finding(result, created, TODAY, "the profile")
    return [(f.check, f.severity) for f in result.findings]


def test_credential_age_against_one_year():
    assert age(date(2026, 6, 1)) == []
    assert age(date(2025, 12, 30)) == []  # 31 days left
    assert age(date(2025, 12, 29)) == [("age.expiring", "warning")]  # 30 days left
    assert age(date(2025, 11, 29)) == [("age.expiring", "warning")]  # expires today
    assert age(date(2025, 11, 28)) == [("age.expired", "error")]
    assert age(None) == [("age.unknown", "info")]


def test_credential_expiry_is_the_one_rule_for_the_audit_and_the_app():
    from csauth_tui.core.lifetime import credential_expiry

    assert credential_expiry(date(2026, 6, 1), TODAY) == (date(2027, 6, 1), 184, None)
    assert credential_expiry(date(2025, 12, 30), TODAY) == (date(2026, 12, 30), 31, None)
    assert credential_expiry(date(2025, 12, 29), TODAY) == (date(2026, 12, 29), 30, "warning")
    assert credential_expiry(date(2025, 11, 29), TODAY) == (date(2026, 11, 29), 0, "warning")
    assert credential_expiry(date(2025, 11, 28), TODAY) == (date(2026, 11, 28), -1, "error")


def test_file_modes(tmp_path):
    path = tmp_path / "f.toml"
    path.write_text("x")
    os.chmod(path, 0o600)
    assert file_findings(path, "profiles", True) == []
    os.chmod(path, 0o640)
    [finding] = file_findings(path, "profiles", False)
    assert finding.severity == "warning" and "0640" in finding.message
    os.chmod(path, 0o604)
    assert file_findings(path, "profiles", True)[0].severity == "error"
    assert file_findings(tmp_path / "missing", "profiles", True) == []


def test_more_than_ten_credentials_on_a_project_or_account():
    results = [ProfileResult(f"p{i}", "project", f"c{i}", 1001) for i in range(11)]
    results += [ProfileResult(f"a{i}", "account", f"ac{i}", None) for i in range(10)]
    for r in results[11:]:
        r.account_id = 7
    found = cross_findings(results)
    assert [f.check for f in found] == ["limit.project"]
    assert "11 credentials on project 1001" in found[0].message
    results.append(ProfileResult("a10", "account", "ac10", None))
    results[-1].account_id = 7
    assert "limit.account" in [f.check for f in cross_findings(results)]


def test_text_csv_and_markdown_say_the_same_things():
    report = AuditReport("p.toml", datetime(2026, 11, 29, tzinfo=timezone.utc))
    ok = ProfileResult("fine", "project", "c1", 1)
    ok.token_ok, ok.token_ms = True, 12.0
    bad = ProfileResult("bad|pipe", "project", "c2", 1)
    bad.add("token.failed", "error", "no token: rejected", "check the secret")
    report.results = [ok, bad]
    assert report.exit_code == 1
    text, csv_text, md = to_text(report), to_csv(report), to_markdown(report)
    assert "2 profiles audited: 1 errors" in text and "fix: check the secret" in text
    assert "fine,ok,,all checks passed," in csv_text
    assert "bad|pipe,error,token.failed,no token: rejected,check the secret" in csv_text
    assert "| bad\\|pipe | error |" in md  # a pipe in a name cannot break the table
