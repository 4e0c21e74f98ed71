from django.core.management.base import BaseCommand, CommandError

from escalations.demo import (
    DEFAULT_ESCALATION_COUNT,
    DEFAULT_SEED,
    DEMO_LOGINS,
    DEMO_PASSWORD,
    demo_seed,
)
from escalations.lifecycle import Status
from users.models import UserRole


class Command(BaseCommand):
    help = (
        "Fill the database with a demo world: people of every role, partner teams, accounts, root causes, "
        "remediations and escalations in every status. Safe to run again: existing demo data is left alone."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--escalations",
            type=int,
            default=DEFAULT_ESCALATION_COUNT,
            help=f"How many escalations to file when there are none yet (default {DEFAULT_ESCALATION_COUNT}).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=f"Random seed; the same seed builds the same cases (default {DEFAULT_SEED}).",
        )

    def handle(self, *args, escalations: int, seed: int, **options):
        if escalations < 0:
            raise CommandError("--escalations cannot be negative.")
        result = demo_seed(escalation_count=escalations, seed=seed, progress=self.stdout.write)

        if result.created_anything:
            self.stdout.write(self.style.SUCCESS("Created:"))
            width = max(len(name) for name in result.created)
            for name, count in result.created.items():
                self.stdout.write(f"  {name:<{width}}  {count:>6}")
        else:
            self.stdout.write(self.style.SUCCESS("The demo data was already there; nothing new was created."))
        if result.escalations_by_status:
            self.stdout.write("Escalations by status:")
            for status in Status:
                self.stdout.write(f"  {status.label:<20}  {result.escalations_by_status.get(status, 0):>6}")

        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
        for person in DEMO_LOGINS:
            self.stdout.write(f"  {person.email:<26}  {UserRole(person.role).label:<20}  {person.display_name}")
