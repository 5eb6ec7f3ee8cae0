"""Demo data: 承德市 with 丰宁满族自治县 and 隆化县, their agencies and one user per role.

Idempotent: running it again updates what exists and creates what is missing; it never
duplicates. Writes go through the services, inside an audit context naming the command.
"""

from django.core.management.base import BaseCommand
from django.db import transaction
from stdnum.cn import uscc

from accounts import services
from accounts.choices import AgencyKind, Role, TenantLevel
from accounts.models import Agency, Tenant, User
from integrity.audit import audit_context

DEMO_PASSWORD = "Demo@2026pass"  # noqa: S105  (printed by `make run`, documented in README)

FENGNING_TOWNSHIPS = [
    "大阁镇",
    "凤山镇",
    "黄旗镇",
    "土城镇",
    "大滩镇",
    "胡麻营镇",
    "鱼儿山镇",
    "天桥镇",
    "波罗诺镇",
    "黑山嘴镇",
    "汤河乡",
    "选将营乡",
    "西官营乡",
    "王营乡",
    "北头营乡",
    "石人沟乡",
    "南关蒙古族乡",
    "苏家店乡",
    "外沟门乡",
    "草原乡",
    "窟窿山乡",
    "小坝子乡",
    "五道营乡",
    "万胜永乡",
    "四岔口乡",
    "杨木栅子乡",
]
# Departments named in the 丰宁 implementation plan (seed 000).
FENGNING_DEPARTMENTS = [
    "县人民政府办公室",
    "县发改局",
    "县财政局",
    "县工信局",
    "县审计局",
    "县商务局",
    "县住建局",
    "县金融办",
    "县自然资源和规划局",
    "县税务局",
    "县人社局",
    "县政务服务管理办",
]
LONGHUA_TOWNSHIPS = ["隆化镇", "张三营镇", "唐三营镇", "蓝旗镇", "步古沟镇", "汤头沟镇"]
LONGHUA_DEPARTMENTS = ["县发改局", "县财政局", "县商务局", "县住建局", "县审计局"]


def demo_credit_code(division: str, serial: int) -> str:
    """A checksum-valid code of a government organ (登记管理部门 1, 机关 1) in the division."""
    body = f"11{division}MB{serial:07d}"[:17]
    return body + uscc.calc_check_digit(body)


class Command(BaseCommand):
    help = "Create or update the demo jurisdictions, agencies and users (idempotent)."

    def handle(self, *args, **options):
        with transaction.atomic(), audit_context(source="seed_demo"):
            self.seed()
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready. Every demo user's password: {DEMO_PASSWORD}")
        )

    def tenant(self, *, name, code, level, parent=None) -> Tenant:
        tenant = Tenant.objects.filter(division_code=code).first()
        data = {"name": name, "division_code": code, "level": level, "parent": parent}
        if tenant is None:
            return services.tenant_create(data=data, actor=None)
        return services.tenant_update(tenant=tenant, data=data, actor=None)

    def agencies(self, tenant, names, kind, start):
        for offset, name in enumerate(names):
            data = {
                "name": name,
                "kind": kind,
                "credit_code": demo_credit_code(tenant.division_code, start + offset),
                "leader_name": "",
                "is_active": True,
            }
            agency = Agency.objects.for_tenant(tenant).filter(name=name).first()
            if agency is None:
                services.agency_create(tenant=tenant, data=data, actor=None)
            else:
                services.agency_update(agency=agency, data=data, actor=None)

    def user(self, username, *, display_name, role, tenant=None, agency=None) -> User:
        data = {
            "username": username,
            "display_name": display_name,
            "role": role,
            "tenant": tenant,
            "agency": agency,
            "email": "",
        }
        user = User.objects.filter(username=username).first()
        if user is None:
            user = services.user_create(data=data, password=DEMO_PASSWORD, actor=None)
        else:
            services.user_update(user=user, data=data, actor=None)
            user.set_password(DEMO_PASSWORD)
        # Demo accounts log in with the printed password, without the first-login change.
        user.must_change_password = False
        user.is_active = True
        user.locked_until = None
        user.failed_login_count = 0
        user.save(
            update_fields=[
                "password",
                "must_change_password",
                "is_active",
                "locked_until",
                "failed_login_count",
            ]
        )
        return user

    def seed(self):
        from domains.services import tenant_defaults_ensure

        city = self.tenant(name="承德市", code="130800", level=TenantLevel.CITY)
        fengning = self.tenant(
            name="丰宁满族自治县", code="130826", level=TenantLevel.COUNTY, parent=city
        )
        longhua = self.tenant(name="隆化县", code="130825", level=TenantLevel.COUNTY, parent=city)
        for tenant in (city, fengning, longhua):
            tenant_defaults_ensure(tenant=tenant)

        self.agencies(fengning, FENGNING_TOWNSHIPS, AgencyKind.TOWNSHIP, 1)
        self.agencies(fengning, ["新丰路街道办"], AgencyKind.SUBDISTRICT, 100)
        self.agencies(fengning, ["经济开发区管委会"], AgencyKind.DEVELOPMENT_ZONE, 110)
        self.agencies(fengning, FENGNING_DEPARTMENTS, AgencyKind.DEPARTMENT, 200)
        self.agencies(longhua, LONGHUA_TOWNSHIPS, AgencyKind.TOWNSHIP, 1)
        self.agencies(longhua, LONGHUA_DEPARTMENTS, AgencyKind.DEPARTMENT, 200)

        finance = Agency.objects.get(tenant=fengning, name="县财政局")
        dage = Agency.objects.get(tenant=fengning, name="大阁镇")
        self.user("admin", display_name="平台管理员", role=Role.PLATFORM_ADMIN)
        self.user(
            "fn-office", display_name="丰宁信用办管理员", role=Role.OFFICE_ADMIN, tenant=fengning
        )
        self.user(
            "fn-staff", display_name="丰宁信用办工作人员", role=Role.OFFICE_STAFF, tenant=fengning
        )
        self.user(
            "fn-clerk",
            display_name="财政局填报员",
            role=Role.AGENCY_CLERK,
            tenant=fengning,
            agency=finance,
        )
        self.user(
            "fn-leader",
            display_name="财政局负责人",
            role=Role.AGENCY_LEADER,
            tenant=fengning,
            agency=finance,
        )
        self.user(
            "fn-clerk2",
            display_name="大阁镇填报员",
            role=Role.AGENCY_CLERK,
            tenant=fengning,
            agency=dage,
        )
        self.user(
            "lh-office", display_name="隆化信用办管理员", role=Role.OFFICE_ADMIN, tenant=longhua
        )
        self.user("cd-city", display_name="承德市信用办", role=Role.CITY_VIEWER, tenant=city)
        self.user("evaluator", display_name="第三方评价机构", role=Role.EVALUATOR, tenant=fengning)

        from domains import demo as domains_demo

        domains_demo.seed(fengning, longhua)

        from supervision import demo as supervision_demo

        supervision_demo.seed(fengning)

        from rectification import demo as rectification_demo

        rectification_demo.seed(fengning)

        from scoring import demo as scoring_demo

        scoring_demo.seed(fengning)

        from monitoring import demo as monitoring_demo

        monitoring_demo.seed(fengning, longhua)
