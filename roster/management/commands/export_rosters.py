from roster.management.commands._export import ExportCommand


class Command(ExportCommand):
    help = "Write each mentor's capacity, seats used and mentees as CSV."
    kind = "rosters"
