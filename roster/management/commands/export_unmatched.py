from roster.management.commands._export import ExportCommand


class Command(ExportCommand):
    help = "Write the mentees without a mentor, each with the reason, as CSV."
    kind = "unmatched"
