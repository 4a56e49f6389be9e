from django.core.management.base import BaseCommand

from users.demo import DEMO_DOMAIN, DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Load the demo cohort (about 40 mentees, 20 mentors, 1 admin); idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing if any user exists."
        )

    def handle(self, *args, **options):
        created = seed_demo(if_empty=options["if_empty"])
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo cohort: {created} user(s) created. Sign in as mentee01@{DEMO_DOMAIN}, "
                f"mentor01@{DEMO_DOMAIN} or admin@{DEMO_DOMAIN} with password {DEMO_PASSWORD!r}."
            )
        )
