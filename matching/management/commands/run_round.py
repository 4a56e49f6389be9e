import json

from django.core.management.base import BaseCommand, CommandError

from core.errors import AppError
from matching.management.admin_account import admin_for_command
from matching.round_payloads import publish_to_json, round_to_json
from matching.rounds.report import format_reports
from matching.services import rounds


def _pair(text: str) -> dict:
    mentee, sep, mentor = text.partition(":")
    if not sep or not mentee.strip() or not mentor.strip():
        raise CommandError(f"{text!r}: a pair is MENTEE_EMAIL:MENTOR_EMAIL.")
    return {"mentee": mentee.strip(), "mentor": mentor.strip()}


class Command(BaseCommand):
    help = (
        "Compute a matching round (a stored draft with its quality report) under one objective, "
        "compare the three objectives, list rounds, publish a draft, or resume a publish a "
        "crash interrupted."
    )

    def add_arguments(self, parser):
        what = parser.add_mutually_exclusive_group(required=True)
        what.add_argument("--objective", choices=rounds.OBJECTIVES, help="Compute one draft.")
        what.add_argument(
            "--compare", action="store_true", help="One draft per objective, side by side."
        )
        what.add_argument("--list", action="store_true", help="List rounds, newest first.")
        what.add_argument("--show", metavar="ROUND_ID", help="Show one round.")
        what.add_argument(
            "--publish-round", metavar="ROUND_ID", help="Publish an existing draft (with --as)."
        )
        what.add_argument(
            "--resume",
            action="store_true",
            help="Complete rounds a crashed publish left in 'publishing' past the lease.",
        )
        parser.add_argument(
            "--pin", action="append", default=[], type=_pair, metavar="MENTEE:MENTOR"
        )
        parser.add_argument(
            "--exclude", action="append", default=[], type=_pair, metavar="MENTEE:MENTOR"
        )
        parser.add_argument(
            "--publish",
            choices=rounds.MODES,
            help="With --objective: publish the new draft at once, as invitations or matches.",
        )
        parser.add_argument("--as", dest="mode", choices=rounds.MODES, help="For --publish-round.")
        parser.add_argument("--json", action="store_true", help="Print JSON instead of tables.")
        parser.add_argument(
            "--admin", help="Email of the ADMIN the rounds are from (default: the first admin)."
        )

    def _emit(self, options, payload, text: str) -> None:
        self.stdout.write(json.dumps(payload) if options["json"] else text)

    def handle(self, *args, **options):
        try:
            self._handle(options)
        except AppError as error:
            raise CommandError(f"{error} ({error.code})") from None

    def _handle(self, options):
        if options["list"]:
            found = rounds.list_rounds()
            lines = [
                f"{r.pk}  {r.created_at:%Y-%m-%d %H:%M}  {r.objective:6}  {r.status:10}  "
                f"matched {r.report.get('matched', 0)}, total {r.report.get('total_score', 0)}"
                for r in found
            ]
            return self._emit(options, [round_to_json(r) for r in found], "\n".join(lines))
        if options["show"]:
            found = rounds.get_round(options["show"])
            return self._emit(options, round_to_json(found), self._describe(found))
        if options["resume"]:
            results = rounds.resume_stale_publishing()
            payload = [publish_to_json(r) for r in results]
            text = "\n".join(self._publish_text(r) for r in results) or "Nothing to resume."
            return self._emit(options, payload, text)
        admin = admin_for_command(options["admin"])
        if options["publish_round"]:
            if not options["mode"]:
                raise CommandError("--publish-round needs --as invitations|matches.")
            result = rounds.publish_round(
                round_id=options["publish_round"], admin=admin, mode=options["mode"]
            )
            return self._emit(options, publish_to_json(result), self._publish_text(result))
        pins = {"pinned": options["pin"], "excluded": options["exclude"]}
        if options["compare"]:
            found = rounds.compare_objectives(admin=admin, **pins)
            text = format_reports(
                [f"{r.objective} ({str(r.pk)[-6:]})" for r in found], [r.report for r in found]
            )
            return self._emit(options, [round_to_json(r) for r in found], text)
        found = rounds.create_round(admin=admin, objective=options["objective"], **pins)
        payload, text = round_to_json(found), self._describe(found)
        if options["publish"]:
            result = rounds.publish_round(round_id=found.pk, admin=admin, mode=options["publish"])
            payload = publish_to_json(result)
            text = f"{text}\n{self._publish_text(result)}"
        self._emit(options, payload, text)

    def _describe(self, found) -> str:
        lines = [f"Round {found.pk}: {found.objective}, {found.status}"]
        lines += [
            f"{a['score']:6.2f}  rank {a['rank'] or '-':>3}  {a['mentee']} → {a['mentor']}"
            for a in found.assignments
        ]
        lines.append(format_reports([found.objective], [found.report]))
        lines += [f"unmatched: {u['mentee']} ({u['reason']})" for u in found.report["unmatched"]]
        return "\n".join(lines)

    def _publish_text(self, result) -> str:
        lines = [
            f"Round {result.round.pk} published as {result.round.published_as}: "
            f"{len(result.published)} published, {len(result.skipped)} skipped."
        ]
        lines += [f"skipped {s['mentee']} → {s['mentor']}: {s['reason']}" for s in result.skipped]
        return "\n".join(lines)
