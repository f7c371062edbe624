import factory

from backoffice.choices import Role
from backoffice.models import Organization, User
from backoffice.services import api_key_issue

DEFAULT_PASSWORD = "correct horse battery staple"


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Organization {n}")
    base_currency = "USD"
    time_zone = "Europe/Berlin"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    organization = factory.SubFactory(OrganizationFactory)
    role = Role.REP
    is_staff = factory.LazyAttribute(lambda u: u.role == Role.ADMIN)

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        obj.set_password(extracted or DEFAULT_PASSWORD)
        if create:
            obj.save(update_fields=["password"])


class ApiKeyFactory:
    """Issues a key through the service, returning (api_key, raw) like a user would get it."""

    @staticmethod
    def create(user):
        issued = api_key_issue(user=user)
        return issued.api_key, issued.raw
