"""`python manage.py api_token_create EMAIL [--name NAME]`: print a new API token for EMAIL, and nothing else."""

from django.core.management.base import BaseCommand, CommandError

from escalations.errors import DomainError
from users.models import User
from users.services import api_token_create


class Command(BaseCommand):
    help = "Create a personal API token for a user and print only the raw token (it is stored hashed)."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--name", default="Created from the command line")

    def handle(self, *args, email, name, **options):
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No user with the email address {email}.")
        try:
            _token, raw = api_token_create(user=user, name=name)
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(raw)
