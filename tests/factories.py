"""factory_boy factories for the foundation models. Later apps add their own beside them."""

import factory
from stdnum.cn import uscc

from accounts.choices import AgencyKind, RankingGroup, Role, TenantLevel
from accounts.models import Agency, Tenant, User

PASSWORD = "Test@pass123"


def credit_code(n: int) -> str:
    body = f"11130000MB{n:07d}"
    return body + uscc.calc_check_digit(body)


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant

    name = factory.Sequence(lambda n: f"测试县{n}")
    division_code = factory.Sequence(lambda n: f"{139000 + n:06d}")
    level = TenantLevel.COUNTY
    parent = factory.LazyFunction(
        lambda: CityFactory()
    )


class CityFactory(TenantFactory):
    name = factory.Sequence(lambda n: f"测试市{n}")
    level = TenantLevel.CITY
    parent = None


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"测试单位{n}")
    kind = AgencyKind.DEPARTMENT
    ranking_group = RankingGroup.DEPARTMENT
    credit_code = factory.Sequence(credit_code)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"用户{n}")
    role = Role.OFFICE_STAFF
    tenant = factory.SubFactory(TenantFactory)

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        obj.set_password(extracted or PASSWORD)
        obj.is_staff = obj.is_superuser = obj.role == Role.PLATFORM_ADMIN
        if create:
            obj.save()
