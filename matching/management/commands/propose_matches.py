import json

from django.core.management.base import BaseCommand

from matching.management.admin_account import admin_for_command
from matching.services.assignment import apply_proposal, propose_matches


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

    def handle(self, *args, **options):
        admin = (
            admin_for_command(options["admin"], missing="No ADMIN account to send invitations.")
            if options["apply"]
            else None
        )
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
