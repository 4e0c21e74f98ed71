import factory
from django.utils import timezone

from escalations.models import Account, Category, Escalation, EscalationEvent, Handoff
from remediations.models import Remediation, RootCause
from users.models import PartnerTeam, User, UserRole

DEFAULT_PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    display_name = factory.Faker("name")
    role = UserRole.REQUESTER
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save(update_fields=["password"])


class RequesterFactory(UserFactory):
    role = UserRole.REQUESTER


class SpecialistFactory(UserFactory):
    role = UserRole.SPECIALIST


class ManagerFactory(UserFactory):
    role = UserRole.MANAGER


class PartnerFactory(UserFactory):
    role = UserRole.PARTNER


class AdminFactory(UserFactory):
    role = UserRole.ADMIN
    is_staff = True
    is_superuser = True


class PartnerTeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartnerTeam
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Partner team {n}")
    slug = factory.Sequence(lambda n: f"partner-team-{n}")
    contact_email = factory.Sequence(lambda n: f"team{n}@example.com")


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    external_id = factory.Sequence(lambda n: f"acct_test{n:05d}")
    name = factory.Faker("company")
    tier = Account.Tier.ENTERPRISE
    contact_email = factory.Faker("company_email")


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


class RootCauseAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RootCause

    name = factory.Sequence(lambda n: f"Area {n}")
    slug = factory.Sequence(lambda n: f"area-{n}")


class RootCauseDriverFactory(RootCauseAreaFactory):
    parent = factory.SubFactory(RootCauseAreaFactory)
    name = factory.Sequence(lambda n: f"Driver {n}")
    slug = factory.Sequence(lambda n: f"driver-{n}")


class EscalationFactory(factory.django.DjangoModelFactory):
    """A new escalation written directly, without the filing service's event and email."""

    class Meta:
        model = Escalation

    reference = factory.Sequence(lambda n: f"ESC-{9000 + n}")
    title = factory.Faker("sentence", nb_words=6)
    description = factory.Faker("paragraph")
    account = factory.SubFactory(AccountFactory)
    requester = factory.SubFactory(RequesterFactory)
    category = factory.SubFactory(CategoryFactory)
    priority = Escalation.Priority.P3
    filed_at = factory.LazyFunction(timezone.now)


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EscalationEvent

    escalation = factory.SubFactory(EscalationFactory)
    kind = EscalationEvent.Kind.COMMENT
    visibility = EscalationEvent.Visibility.SHARED
    body = factory.Faker("sentence")


class HandoffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Handoff

    escalation = factory.SubFactory(EscalationFactory)
    partner_team = factory.SubFactory(PartnerTeamFactory)
    ask = factory.Faker("sentence")


class RemediationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Remediation

    title = factory.Faker("sentence", nb_words=5)
    owner_team = factory.SubFactory(PartnerTeamFactory)


def api_token_for(user, name: str = "Test token") -> str:
    """A personal API token for `user`, made as the profile page makes one; returns the raw value."""
    from users.services import api_token_create

    return api_token_create(user=user, name=name)[1]
