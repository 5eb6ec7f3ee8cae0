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
    parent = factory.LazyFunction(lambda: CityFactory())


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


# Key domains and credit records -------------------------------------------------------------

import datetime  # noqa: E402

from domains import models as dm  # noqa: E402
from domains.choices import RecordSource, Severity, SubjectType  # noqa: E402


def ensure_defaults(tenant):
    """Default domains, problem types, publicity rules and settings of a tenant."""
    from domains.services import tenant_defaults_ensure

    tenant_defaults_ensure(tenant=tenant)
    return tenant


def resident_id(n: int, birth: str = "19800101", area: str = "130826") -> str:
    """A checksum-valid resident ID number."""
    from stdnum.cn import ric

    body = f"{area}{birth}{n % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum reads the first 17 characters


class TrustRecordFactory(factory.django.DjangoModelFactory):
    """A record created through the service (publicity window derived by the rules)."""

    class Meta:
        model = dm.TrustRecord

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from domains.services import record_create

        tenant = kwargs.pop("tenant")
        is_public = kwargs.pop("is_public", None)
        actor = kwargs.pop("actor", None)
        ensure_defaults(tenant)
        return record_create(tenant=tenant, data=kwargs, actor=actor, is_public=is_public)

    tenant = factory.LazyAttribute(lambda o: o.agency.tenant)
    subject_type = SubjectType.AGENCY
    agency = factory.SubFactory(AgencyFactory)
    source = RecordSource.ADMINISTRATIVE_PENALTY
    severity = Severity.SERIOUS
    facts = "拖欠民营企业工程款拒不支付。"
    decision_number = factory.Sequence(lambda n: f"丰政罚〔2026〕{n}号")
    deciding_authority = "县人民政府"
    decision_date = factory.LazyFunction(
        lambda: datetime.date.today() - datetime.timedelta(days=30)
    )


class CommitmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = dm.Commitment

    tenant = factory.LazyAttribute(lambda o: o.agency.tenant)
    agency = factory.SubFactory(AgencyFactory)
    category = "service_quality"
    title = factory.Sequence(lambda n: f"承诺事项{n}")
    content = "企业开办一个工作日内办结。"
    promised_date = factory.LazyFunction(
        lambda: datetime.date.today() + datetime.timedelta(days=60)
    )


# Campaigns and ledgers ------------------------------------------------------------------------


def make_campaign(tenant, agencies, *, actor=None, launch=True, domains=None, **fields):
    """A campaign made through the services (launched unless launch=False). Deadlines default
    to 10, 20 and 60 days from today; domains default to the tenant's first two active ones."""
    from rectification import services as rs

    ensure_defaults(tenant)
    today = datetime.date.today()
    if domains is None:
        domains = list(dm.KeyDomain.objects.filter(tenant=tenant, is_active=True)[:2])
    data = {
        "title": "政务诚信专项治理",
        "document_number": "丰信用办〔2026〕1号",
        "year": today.year,
        "description": "",
        "report_deadline": today + datetime.timedelta(days=10),
        "plan_deadline": today + datetime.timedelta(days=20),
        "completion_deadline": today + datetime.timedelta(days=60),
        "domains": domains,
        "agencies": list(agencies),
        **fields,
    }
    campaign = rs.campaign_save(tenant=tenant, data=data, actor=actor)
    if launch:
        campaign = rs.campaign_launch(campaign=campaign, actor=actor)
    return campaign


def make_issue(campaign, agency, *, actor=None, **fields):
    """A ledger issue made through the service, in the campaign's first domain."""
    from rectification import services as rs

    domain = fields.pop("domain", None) or campaign.domains.order_by("position", "id").first()
    problem_type = (
        fields.pop("problem_type", None)
        or dm.ProblemType.objects.filter(tenant=campaign.tenant).order_by("position", "id").first()
    )
    data = {
        "domain": domain,
        "problem_type": problem_type,
        "subject_name": agency.name,
        "responsible_person": "王建国",
        "cause": "资金未及时拨付",
        "handling_opinion": "限期支付",
        "source": "self_inspection",
        "discovered_on": datetime.date.today() - datetime.timedelta(days=5),
        "deadline": campaign.completion_deadline,
        "status": "pending",
        "extra": {},
        **fields,
    }
    return rs.issue_create(campaign=campaign, agency=agency, data=data, actor=actor)
