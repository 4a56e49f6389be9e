from roster.management.commands._export import ExportCommand


class Command(ExportCommand):
    help = "Write the current mentee–mentor pairs with score, breakdown and match time as CSV."
    kind = "matches"
