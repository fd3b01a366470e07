"""The audit as a screen: rows fill in as each profile's checks finish, a summary line,
a severity filter, and export to the same formats as `csauth audit`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, DataTable, Input, ProgressBar, Select, Static

from ...core.audit import SEVERITIES, AuditReport, ProfileResult
from ...core.errors import CsauthError
from ..text import InertHighlighter, plain
from ..widgets.key_bar import KeyBar

if TYPE_CHECKING:
    from ..session import Session

STYLES = {"error": "bold red", "warning": "yellow", "info": "cyan", "ok": "green"}
FILTERS = (
    ("all findings", "all"),
    ("errors only", "error"),
    ("errors and warnings", "warning"),
    ("everything but notes", "warning"),
)
EXTENSIONS = {"json": "json", "csv": "csv", "markdown": "md", "text": "txt"}


class AuditScreen(Screen[None]):
    BINDINGS = [
        Binding("escape,q", "close", "Back", id="audit_close"),
        Binding("f", "cycle_filter", "Filter severity", id="audit_filter"),
        Binding("ctrl+s", "export", "Export", id="audit_export"),
    ]

    @dataclass
    class ResultIn(Message):
        result: ProfileResult

    @dataclass
    class Done(Message):
        report: AuditReport | None
        error: str | None = None

    def __init__(
        self, session: Session, names: list[str] | None = None, *, timings: bool = True
    ) -> None:
        super().__init__()
        self.session = session
        self.names = names
        self.timings = timings  # off for snapshots: milliseconds differ run to run
        self.results: list[ProfileResult] = []
        self.report: AuditReport | None = None
        self.minimum = "all"
        self.total = 0
        self.details: dict[str, tuple[str, str, str]] = {}  # row key -> profile, finding, fix

    def compose(self) -> ComposeResult:
        yield Static("", id="audit-summary")
        yield ProgressBar(show_eta=False, id="audit-progress")
        with Horizontal(id="audit-controls"):
            yield Select(
                [
                    ("all findings", "all"),
                    ("errors only", "error"),
                    ("errors and warnings", "warning"),
                ],
                value="all",
                allow_blank=False,
                id="audit-filter",
                compact=True,
            )
            yield Select(
                [(f, f) for f in EXTENSIONS],
                value="json",
                allow_blank=False,
                id="audit-format",
                compact=True,
            )
            yield Input(
                placeholder="export to (path)",
                id="audit-path",
                compact=True,
                highlighter=InertHighlighter(),
            )
            yield Button("Export", id="audit-export-button", compact=True)
        yield DataTable(id="audit-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="audit-detail")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("profile", "status", "token", "finding", "fix")
        pf = self.session.pf
        names = self.names if self.names is not None else list(pf.profiles)
        self.total = len([n for n in names if n in pf.profiles])
        self.query_one(ProgressBar).update(total=max(self.total, 1), progress=0)
        stamp = self.session.clock().astimezone().strftime("%Y%m%d-%H%M")
        self.query_one("#audit-path", Input).value = f"csauth-audit-{stamp}.json"  # in the cwd
        self._summary()
        table.focus()
        self._run()

    @work(exclusive=True, group="audit", exit_on_error=False, description="audit")
    async def _run(self) -> None:
        try:  # refused while [settings] is invalid
            report = await self.session.audit(self.names, on_result=self._result_found)
        except CsauthError as exc:
            self.post_message(self.Done(None, str(exc)))
            return
        self.post_message(self.Done(report))

    def _result_found(self, result: ProfileResult) -> None:
        self.post_message(self.ResultIn(result))

    # --- filling in ---------------------------------------------------------------------

    @on(ResultIn)
    def _result_in(self, event: ResultIn) -> None:
        self.results.append(event.result)
        self.query_one(ProgressBar).advance(1)
        self._add_rows(event.result)
        self._summary()

    @on(Done)
    def _done(self, event: Done) -> None:
        if event.report is None:
            self.query_one("#audit-summary", Static).update(
                Text(plain(f"audit failed: {event.error}"), style="red")
            )
            return
        self.report = event.report
        self.results = list(event.report.results)  # the file's order, not arrival order
        self._rebuild()
        self._summary()

    def _visible(self, severity: str) -> bool:
        if self.minimum == "all":
            return True
        allowed = SEVERITIES[: SEVERITIES.index(self.minimum) + 1]
        return severity in allowed

    def _row(self, profile: str, severity: str, token: str, message: str, fix: str) -> None:
        # names, findings and fixes quote the file and the servers: inert before they are shown
        profile, message, fix = plain(profile), plain(message), plain(fix)
        key = str(len(self.details))
        self.details[key] = (profile, message, fix)
        self.query_one(DataTable).add_row(
            Text(profile),
            Text(severity, style=STYLES[severity]),
            token,
            Text(message),
            Text(fix),
            key=key,
        )

    @on(DataTable.RowHighlighted, "#audit-table")
    def _show_detail(self, event: DataTable.RowHighlighted) -> None:
        profile, message, fix = self.details.get(str(event.row_key.value), ("", "", ""))
        detail = Text.assemble((profile, "bold"), ": ", message)
        if fix:
            detail.append("\nfix: ", style="bold green")
            detail.append(fix)
        self.query_one("#audit-detail", Static).update(detail)

    def _add_rows(self, result: ProfileResult) -> None:
        token = "ok" if result.token_ok else "failed" if result.token_ok is False else "-"
        if result.token_ok and result.token_ms is not None and self.timings:
            token = f"ok {result.token_ms:.0f} ms"
        if not result.findings and self._visible("ok"):
            self._row(result.profile, "ok", token, "all checks passed", "")
        for finding in result.findings:
            if self._visible(finding.severity):
                self._row(result.profile, finding.severity, token, finding.message, finding.fix)

    def _rebuild(self) -> None:
        self.query_one(DataTable).clear()
        self.details.clear()
        if self.report is not None:
            for finding in self.report.findings:
                if self._visible(finding.severity):
                    self._row(
                        finding.profile or "(file)",
                        finding.severity,
                        "",
                        finding.message,
                        finding.fix,
                    )
        for result in self.results:
            self._add_rows(result)

    def _summary(self) -> None:
        report = self.report
        found = report.all_findings() if report else [f for r in self.results for f in r.findings]
        counts: dict[str, int] = {s: sum(1 for f in found if f.severity == s) for s in SEVERITIES}
        state = "done" if report else f"auditing... {len(self.results)}/{self.total}"
        self.query_one("#audit-summary", Static).update(
            f"[b]Audit[/] of {self.total} profile(s): {state}   "
            f"[bold red]{counts['error']} errors[/]  [yellow]{counts['warning']} warnings[/]  "
            f"[cyan]{counts['info']} notes[/]   [dim]f filters, ctrl+s exports, esc goes back[/]"
        )

    # --- controls -----------------------------------------------------------------------

    @on(Select.Changed, "#audit-filter")
    def _filter(self, event: Select.Changed) -> None:
        self.minimum = str(event.value)
        self._rebuild()

    def action_cycle_filter(self) -> None:
        order = ["all", "error", "warning"]
        select = self.query_one("#audit-filter", Select)
        select.value = order[(order.index(self.minimum) + 1) % len(order)]

    @on(Select.Changed, "#audit-format")
    def _format(self, event: Select.Changed) -> None:
        box = self.query_one("#audit-path", Input)
        path = Path(box.value or "csauth-audit")
        box.value = str(path.with_suffix("." + EXTENSIONS[str(event.value)]))

    @on(Button.Pressed, "#audit-export-button")
    @on(Input.Submitted, "#audit-path")
    def action_export(self) -> None:
        from ...core.audit_report import render
        from ...core.fsutil import atomic_write

        if self.report is None:
            self.notify("the audit is still running", severity="warning", timeout=3)
            return
        target = Path(self.query_one("#audit-path", Input).value.strip() or "csauth-audit.json")
        fmt = str(self.query_one("#audit-format", Select).value)
        try:
            atomic_write(target.expanduser(), render(self.report, fmt))
        except CsauthError as exc:
            self.notify(str(exc), title="Not exported", severity="error", markup=False)
            return
        self.notify(f"audit report written to {target}", title="Exported", markup=False)

    def action_close(self) -> None:
        self.workers.cancel_group(self, "audit")
        self.app.pop_screen()
