from tests.factories.core import ApiKeyFactory, OrganizationFactory, UserFactory

__all__ = ["ApiKeyFactory", "OrganizationFactory", "UserFactory"]
