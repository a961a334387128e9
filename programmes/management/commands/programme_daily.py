from django.core.management.base import BaseCommand

from programmes.services import dossier_deadlines_remind, feedback_deadlines_remind


class Command(BaseCommand):
    help = "Daily reminders: dossiers and feedback due within two working days go to the departments acting on them."

    def add_arguments(self, parser):
        parser.add_argument("--working-days", type=int, default=2)

    def handle(self, *args, working_days, **options):
        dossiers = dossier_deadlines_remind(working_days=working_days)
        feedback = feedback_deadlines_remind(working_days=working_days)
        self.stdout.write(f"dossier reminders: {dossiers}, feedback reminders: {feedback}")
