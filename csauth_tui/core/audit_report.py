"""The audit report as JSON (a documented, versioned schema), CSV and Markdown.

JSON schema "csauth-audit/1" (fields are only ever added, never renamed or removed,
within a version):

    {
      "schema": "csauth-audit/1",
      "profiles_file": str, "started_at": ISO 8601 UTC, "finished_at": ISO 8601 UTC,
      "summary": {"profiles": int, "error": int, "warning": int, "info": int},
      "findings": [Finding],            # about the file or several profiles
      "profiles": [{
        "name": str, "level": "project"|"account", "client_id": str,
        "project_id": int|null, "secret_source": str, "status": "ok"|"error"|"warning"|"info",
        "token": {"ok": bool|null, "ms": float|null,
                  "endpoint": str|null,        # endpoint: null when untrusted
                  "endpoint_trusted": bool|null,
                  "cached": bool|null},        # true: reused from the cache (--cached)
        "auth_url": str,                       # where the secret is sent
        "secret_command": str|null,            # a cmd: source's command (null: none, or
                                               # hidden because it looks like a secret)
        "me": {"ok": bool|null, "scopes": [str]|null,
               "projects": [{"id": int|str, "name": str}]|null},
        "findings": [Finding]
      }]
    }
    Finding = {"check": str, "severity": "error"|"warning"|"info", "message": str,
               "fix": str, "profile": str|null}

No secret or token is ever part of a report. Text, Markdown and CSV are read in a terminal
or a spreadsheet: every value that came from the file or a server is inert there (core.text)
and no CSV cell can start a formula; JSON escapes controls and non-ASCII (ensure_ascii).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from .audit import AuditReport, Finding, ProfileResult
from .text import csv_cell, inert
from .tokens import iso_utc

SCHEMA = "csauth-audit/1"
FORMATS = ("text", "json", "csv", "markdown")


def finding_dict(finding: Finding) -> dict[str, Any]:
    return {
        "check": finding.check,
        "severity": finding.severity.value,
        "message": finding.message,
        "fix": finding.fix,
        "profile": finding.profile,
    }


def result_dict(result: ProfileResult) -> dict[str, Any]:
    projects = (
        None
        if result.me_projects is None
        else [{"id": pid, "name": name} for pid, name in result.me_projects]
    )
    return {
        "name": result.profile,
        "level": result.level,
        "client_id": result.client_id,
        "project_id": result.project_id,
        "secret_source": result.secret_source,
        "status": result.worst,
        "token": {
            "ok": result.token_ok,
            "ms": None if result.token_ms is None else round(result.token_ms, 1),
            "endpoint": result.endpoint,
            "endpoint_trusted": result.endpoint_trusted,
            "cached": result.token_cached,
        },
        "auth_url": result.auth_url,
        "secret_command": result.secret_command,
        "me": {
            "ok": result.me_ok,
            "scopes": None if result.me_scopes is None else list(result.me_scopes),
            "projects": projects,
        },
        "findings": [finding_dict(f) for f in result.findings],
    }


def to_json(report: AuditReport) -> str:
    return (
        json.dumps(
            {
                "schema": SCHEMA,
                "profiles_file": report.profiles_file,
                "started_at": iso_utc(report.started_at),
                "finished_at": iso_utc(report.finished_at),
                "summary": {"profiles": len(report.results), **report.counts()},
                "findings": [finding_dict(f) for f in report.findings],
                "profiles": [result_dict(r) for r in report.results],
            },
            indent=2,
        )
        + "\n"
    )


def to_csv(report: AuditReport) -> str:
    """One row per finding (a profile with none gets one 'ok' row)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")

    def row(*cells: object) -> None:
        writer.writerow([csv_cell(inert(cell)) for cell in cells])

    row("profile", "severity", "check", "message", "fix", "secret_source")
    for finding in report.findings:
        row(
            finding.profile or "", finding.severity, finding.check, finding.message, finding.fix, ""
        )
    for result in report.results:
        if not result.findings:
            row(result.profile, "ok", "", "all checks passed", "", result.secret_source)
        for finding in result.findings:
            row(
                result.profile,
                finding.severity,
                finding.check,
                finding.message,
                finding.fix,
                result.secret_source,
            )
    return out.getvalue()


def _md(text: str) -> str:
    return inert(text.replace("\n", " ")).replace("|", "\\|")


def to_markdown(report: AuditReport) -> str:
    counts = report.counts()
    lines = [
        f"# csauth audit of {_md(report.profiles_file)}",
        "",
        f"{len(report.results)} profiles: {counts['error']} errors, "
        f"{counts['warning']} warnings, {counts['info']} notes.",
        "",
        "| profile | status | token | secret | finding | fix |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for finding in report.findings:
        lines.append(
            f"| {_md(finding.profile or '(file)')} | {finding.severity} | | | "
            f"{_md(finding.message)} | {_md(finding.fix)} |"
        )
    for result in report.results:
        token = "ok" if result.token_ok else "failed" if result.token_ok is False else "-"
        if result.token_cached and result.token_ok:
            token += " (cached)"
        elif result.token_ms is not None and result.token_ok:
            token += f" ({result.token_ms:.0f} ms)"
        rows: list[Finding | None] = [*result.findings] or [None]
        for row in rows:
            message = _md(row.message) if row else "all checks passed"
            fix = _md(row.fix) if row else ""
            severity = row.severity if row else "ok"
            lines.append(
                f"| {_md(result.profile)} | {severity} | {token} | "
                f"{_md(result.secret_source)} | {message} | {fix} |"
            )
    return "\n".join(lines) + "\n"


def to_text(report: AuditReport) -> str:
    counts = report.counts()
    lines = []
    for finding in report.findings:
        lines.append(
            f"{finding.severity.upper():7} {inert(finding.profile or '(file)')}: "
            f"{inert(finding.message)}\n        fix: {inert(finding.fix)}"
        )
    for result in report.results:
        token = (
            "token ok"
            if result.token_ok
            else "token FAILED"
            if result.token_ok is False
            else "token not tried"
        )
        if result.token_ok and result.token_cached:
            token += " (cached, not proven now)"
        elif result.token_ok and result.token_ms is not None:
            token += f" in {result.token_ms:.0f} ms"
        lines.append(
            f"{result.worst.upper():7} {inert(result.profile)} ({result.level}, "
            f"{token}, secret: {inert(result.secret_source)})"
        )
        for finding in result.findings:
            lines.append(
                f"  {finding.severity:7} {inert(finding.message)}\n"
                f"          fix: {inert(finding.fix)}"
            )
    lines.append(
        f"{len(report.results)} profiles audited: {counts['error']} errors, "
        f"{counts['warning']} warnings, {counts['info']} notes"
    )
    return "\n".join(lines) + "\n"


def render(report: AuditReport, fmt: str) -> str:
    return {"text": to_text, "json": to_json, "csv": to_csv, "markdown": to_markdown}[fmt](report)
