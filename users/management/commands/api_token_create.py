"""Create an API token for a user and print it: `python manage.py api_token_create someone@example.com --name ci`.

A stand-in on this branch (DRF's one-token-per-user authtoken); the personal-token work replaces it with named,
hashed tokens behind the same command line.
"""

from django.core.management.base import BaseCommand, CommandError
from rest_framework.authtoken.models import Token

from users.models import User


class Command(BaseCommand):
    help = "Create (or show) an API token for the user with this email and print its key."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--name", default="", help="What the token is for (kept by the personal-token version).")

    def handle(self, *args, email, name, **options):
        user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {email}.")
        token, _created = Token.objects.get_or_create(user=user)
        self.stdout.write(token.key)
