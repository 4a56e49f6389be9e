"""Roster import: create or update mentees and mentors from a CSV file.

Every row is validated by the API's rules (roster.schemas.RosterRow for the shape, then
users.services.clean_profile_changes and the model's full_clean); a bad row is reported
with its line and reason and never stops the good ones. Accounts are matched by email, so
a second run of the same file changes nothing. Rows are written one document at a time
without post_save (no per-row rescoring); the follow-up work - set-password mails for
created accounts, one batch rescoring - is recorded (ImportFollowUp) before each write and
done after the last row, so an import killed half-way is finished by the next run.
"""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field

import pydantic
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection
from django.utils import timezone

from core.errors import AppError
from matching.services.scores import DEFAULT_BATCH_SIZE, SCORING_FIELDS, refresh_scores_for_users
from roster.models import ImportFollowUp
from roster.schemas import COLUMNS, REQUIRED_COLUMNS, RosterRow
from users import password_reset
from users.models import EmailRuleError, User, clean_email
from users.services import clean_profile_changes

# A cohort is hundreds to a few thousand people; these bound the memory and the time one
# import may take (the file is read whole) and catch a wrong file picked by mistake.
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000

Progress = Callable[[int, int], None]


class RosterFileError(Exception):
    """The file as a whole is unusable (encoding, header, size): nothing is imported.

    Not an API error (no endpoint takes a roster): the command turns it into a
    CommandError and the admin page into a message.
    """


class RowRejectedError(Exception):
    """One row breaks a rule; its message is the reason shown in the report."""


@dataclass(frozen=True)
class RowOutcome:
    line: int
    email: str
    detail: str = ""


@dataclass
class ImportReport:
    dry_run: bool
    created: list[RowOutcome] = field(default_factory=list)
    updated: list[RowOutcome] = field(default_factory=list)
    unchanged: list[RowOutcome] = field(default_factory=list)
    rejected: list[RowOutcome] = field(default_factory=list)
    mails_sent: int = 0
    scores_written: int = 0

    def summary(self) -> str:
        counts = (
            f"{len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.rejected)} rejected"
        )
        if self.dry_run:
            return f"Dry run: {counts}; nothing written."
        return (
            f"{counts}; {self.mails_sent} set-password mail(s) sent, "
            f"{self.scores_written} score(s) written."
        )


@dataclass(frozen=True)
class _Planned:
    line: int
    email: str
    role: str
    profile: dict


def read_roster(data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the non-blank rows with their line numbers (the header is line 1).
    Raises RosterFileError."""
    if len(data) > MAX_FILE_BYTES:
        raise RosterFileError(f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RosterFileError(f"The file is not UTF-8 (byte {exc.start}).") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [name.strip() for name in next(reader, [])]
        if not any(header):
            raise RosterFileError("The file is empty: a header row is required.")
        _check_header(header)
        rows = []
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) == MAX_ROWS:
                raise RosterFileError(f"The file has more than {MAX_ROWS} rows.")
            rows.append((reader.line_num, cells))
    except csv.Error as exc:
        raise RosterFileError(f"Line {reader.line_num}: {exc}.") from None
    return header, rows


def _check_header(header: list[str]) -> None:
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        raise RosterFileError(
            f"Unknown column(s): {', '.join(unknown)}. The columns are: {', '.join(COLUMNS)}."
        )
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise RosterFileError(f"Repeated column(s): {', '.join(repeated)}.")
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise RosterFileError(f"Missing required column(s): {', '.join(missing)}.")


def _pydantic_reason(exc: pydantic.ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc'])}: "
        f"{error['msg'].removeprefix('Value error, ')}"
        for error in exc.errors()
    )


def validate_row(header: list[str], cells: list[str]) -> tuple[str, str, dict]:
    """(email, role, profile fields given) of one row in their stored form.
    Raises RowRejectedError."""
    if len(cells) != len(header):
        raise RowRejectedError(f"{len(cells)} cell(s); the header has {len(header)}.")
    try:
        row = RosterRow.model_validate(dict(zip(header, cells, strict=True)))
    except pydantic.ValidationError as exc:
        raise RowRejectedError(_pydantic_reason(exc)) from None
    try:
        email = clean_email(row.email)
    except EmailRuleError as exc:
        raise RowRejectedError(f"email: {exc}") from None
    profile = row.profile()
    # An empty year cell means "unknown" (the model's blank), not a bad year.
    blank_year = profile.get("year", None) == ""
    if blank_year:
        del profile["year"]
    try:
        profile = clean_profile_changes(profile)
    except AppError as exc:
        raise RowRejectedError(str(exc)) from None
    if blank_year:
        profile["year"] = ""
    candidate = User(email=email, role=row.role, **profile)
    try:
        candidate.full_clean(exclude=["password"], validate_unique=False)
    except ValidationError as exc:
        reasons = [f"{name}: {' '.join(msgs)}" for name, msgs in exc.message_dict.items()]
        raise RowRejectedError("; ".join(reasons)) from None
    return email, row.role, profile


def _email_cell(header: list[str], cells: list[str]) -> str:
    at = header.index("email")
    return cells[at].strip() if at < len(cells) else ""


def _follow_up(email: str, **needs: bool) -> None:
    """Record (upsert) what the import owes this account, before writing it."""
    connection.get_collection(ImportFollowUp._meta.db_table).update_one(
        {"email": email},
        {"$set": needs, "$setOnInsert": {"created_at": timezone.now()}},
        upsert=True,
    )


def create_participant(plan: _Planned) -> bool:
    """Insert the account with an unusable password; False if the email was taken
    meanwhile (a registration between the lookup and the insert)."""
    _follow_up(plan.email, needs_mail=True, needs_scores=True)
    user = User(email=plan.email, role=plan.role, **plan.profile)
    user.set_unusable_password()
    try:
        # bulk_create: no post_save, so no per-row rescoring (done once at the end).
        User.objects.bulk_create([user])
    except IntegrityError:
        return False
    return True


def update_participant(user: User, changes: dict) -> None:
    if SCORING_FIELDS & set(changes):
        _follow_up(user.email, needs_scores=True)
    # A queryset update sends no post_save either.
    User.objects.filter(pk=user.pk).update(**changes)


def _classify(plan: _Planned, user: User | None) -> tuple[str, dict]:
    """("create" | "update" | "unchanged", changes), or RowRejectedError."""
    if user is None:
        return "create", {}
    if user.role != plan.role:
        raise RowRejectedError(
            f"{plan.email} is a {user.role} account and the row says {plan.role}: "
            "an import never changes a role."
        )
    if user.deletion_requested_at is not None:
        raise RowRejectedError(f"{plan.email} is pending deletion: its profile is left alone.")
    changes = {k: v for k, v in plan.profile.items() if getattr(user, k) != v}
    return ("update" if changes else "unchanged"), changes


def _plan(header, rows, report: ImportReport) -> list[_Planned]:
    plans, first_line = [], {}
    for line, cells in rows:
        try:
            email, role, profile = validate_row(header, cells)
        except RowRejectedError as exc:
            report.rejected.append(RowOutcome(line, _email_cell(header, cells), str(exc)))
            continue
        if email in first_line:
            reason = f"the email repeats line {first_line[email]}'s; only the first counts."
            report.rejected.append(RowOutcome(line, email, reason))
            continue
        first_line[email] = line
        plans.append(_Planned(line, email, role, profile))
    return plans


def import_roster(
    *,
    data: bytes,
    dry_run: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a roster CSV (see the module docstring); raises RosterFileError for a file
    that cannot be used, in which case nothing is written."""
    header, rows = read_roster(data)
    report = ImportReport(dry_run=dry_run)
    plans = _plan(header, rows, report)
    existing = {u.email: u for u in User.objects.filter(email__in=[p.email for p in plans])}
    for plan in plans:
        try:
            action, changes = _classify(plan, existing.get(plan.email))
        except RowRejectedError as exc:
            report.rejected.append(RowOutcome(plan.line, plan.email, str(exc)))
            continue
        outcome = RowOutcome(plan.line, plan.email, ", ".join(sorted(changes)))
        if action == "create":
            if not dry_run and not create_participant(plan):
                reason = "an account with this email was created meanwhile; run again."
                report.rejected.append(RowOutcome(plan.line, plan.email, reason))
                continue
            report.created.append(outcome)
        elif action == "update":
            if not dry_run:
                update_participant(existing[plan.email], changes)
            report.updated.append(outcome)
        else:
            report.unchanged.append(outcome)
    if not dry_run:
        report.mails_sent, report.scores_written = finish_follow_ups(
            batch_size=batch_size, progress=progress
        )
    return report


def finish_follow_ups(
    *, batch_size: int = DEFAULT_BATCH_SIZE, progress: Progress | None = None
) -> tuple[int, int]:
    """Send the owed set-password mails, then rescore every owed account in one batch;
    returns (mails sent, scores written). Also finishes what a killed import left."""
    owed = list(ImportFollowUp.objects.order_by("pk"))
    users = {u.email: u for u in User.objects.filter(email__in=[f.email for f in owed])}
    mails = 0
    for follow_up in owed:
        user = users.get(follow_up.email)
        # A usable password means the person registered themselves: no set-password mail.
        if follow_up.needs_mail and user is not None and not user.has_usable_password():
            password_reset.send_set_password_mail(user=user)
            mails += 1
        if follow_up.needs_mail:
            ImportFollowUp.objects.filter(pk=follow_up.pk).update(needs_mail=False)
    emails = [f.email for f in owed if f.needs_scores and f.email in users]
    written = refresh_scores_for_users(emails=emails, batch_size=batch_size, progress=progress)
    ImportFollowUp.objects.filter(pk__in=[f.pk for f in owed]).delete()
    return mails, written
