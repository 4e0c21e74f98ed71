import zoneinfo

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


def validate_time_zone(value):
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not a known time zone (for example Europe/Berlin).")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("role", User.Role.ADMIN)
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra_fields)


class UserRole(models.TextChoices):
    REQUESTER = "requester", "Requester"
    SPECIALIST = "specialist", "Specialist"
    MANAGER = "manager", "Manager"
    PARTNER = "partner", "Partner team member"
    ADMIN = "admin", "Administrator"


class User(AbstractBaseUser, PermissionsMixin):
    """An employee who signs in. The affected customer is `escalations.Account`, not a User."""

    Role = UserRole

    email = models.EmailField("email address", unique=True)
    display_name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.REQUESTER)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    email_signature = models.TextField(
        blank=True, max_length=1000, help_text="Added below every email you send to a customer from a case."
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField("admin site access", default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        ordering = ["display_name", "email"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=UserRole.values),
                name="user_role_valid",
            ),
        ]

    def __str__(self):
        return self.display_name or self.email

    def get_full_name(self):
        return str(self)

    def get_short_name(self):
        return (self.display_name or self.email).split()[0]

    @property
    def works_cases(self) -> bool:
        """Specialists, managers and admins triage and work escalations."""
        return self.role in {self.Role.SPECIALIST, self.Role.MANAGER, self.Role.ADMIN}

    @property
    def is_manager(self) -> bool:
        return self.role in {self.Role.MANAGER, self.Role.ADMIN}


class PartnerTeam(models.Model):
    """A team outside the escalations team that answers handoffs and owns remediations."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    contact_email = models.EmailField(blank=True)
    lead = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="led_partner_teams")
    members = models.ManyToManyField(User, through="PartnerMembership", related_name="partner_teams", blank=True)
    handoff_response_target_minutes = models.PositiveIntegerField(
        default=8 * 60, help_text="Business minutes the team has to acknowledge or answer a handoff."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class PartnerMembership(models.Model):
    team = models.ForeignKey(PartnerTeam, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="partner_memberships")
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="partner_membership_unique")]

    def __str__(self):
        return f"{self.user} in {self.team}"


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 hash of the secret is stored; the raw value is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80, help_text="What the token is for, e.g. “CI” or “reporting script”.")
    prefix = models.CharField(max_length=16, help_text="The token's first characters, to recognise it in a list.")
    secret_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the whole raw token, hex.")
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
