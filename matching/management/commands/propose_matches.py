import json

from django.core.management.base import BaseCommand, CommandError

from matching.services.assignment import apply_proposal, propose_matches
from users.models import Role, User


class Command(BaseCommand):
    help = "Propose the assignment of unmatched mentees to free seats with the highest total score."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print the proposal as JSON.")
        parser.add_argument(
            "--apply", action="store_true", help="Send each pair an invitation from an admin."
        )
        parser.add_argument(
            "--admin", help="Email of the ADMIN sending invitations (default: the first admin)."
        )

    def _admin(self, email: str | None) -> User:
        admins = User.objects.filter(role=Role.ADMIN, is_active=True)
        admin = (
            admins.filter(email=email.strip().lower()).first()
            if email
            else admins.order_by("date_joined", "pk").first()
        )
        if admin is None:
            raise CommandError(
                f"No ADMIN account {email!r}." if email else "No ADMIN account to send invitations."
            )
        return admin

    def handle(self, *args, **options):
        admin = self._admin(options["admin"]) if options["apply"] else None
        proposal = propose_matches()
        if options["json"]:
            self.stdout.write(json.dumps(proposal.to_json()))
        else:
            for mentee, mentor, score in proposal.assignments:
                self.stdout.write(f"{score:6.2f}  {mentee} → {mentor}")
        if admin is not None:
            sent, failures = apply_proposal(proposal, admin=admin)
            for failure in failures:
                self.stderr.write(failure)
            self.stderr.write(f"{sent} invitation(s) sent from {admin.email}.")
        if not options["json"]:
            self.stdout.write(
                self.style.SUCCESS(
                    f"{len(proposal.assignments)} pair(s) proposed, total score "
                    f"{proposal.total_score:.2f}."
                )
            )
