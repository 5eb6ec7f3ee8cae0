"""The synthetic province of the benchmarks: a seeded, reproducible data set written into the
platform's own tables (the real schema, its triggers, the audit trail and the change-feed
stamps), fast enough for `make bench`.

Shape at scale 1 (BENCH_SCALE=small is a tenth: 10 counties of the same size):

- one city above 100 counties (so that the city's API client reads the whole province), each
  county with 100 agencies (40 townships, sub-districts and development zones, 60 departments,
  institutions and state-owned enterprises) and the defaults every new county gets (key
  domains, problem types, publicity rules, warning rules), created by `tenant_create`;
- per county: a launched campaign with every agency and the six key domains; per agency 100
  ledger issues (40 % with arrears, 0–3 dated repayments each: 1,000,000 issues in all), the
  self-inspection report and rectification plan (with their submitted versions), 5 milestones,
  10 failure-of-trust records with their punishment measure (100,000), 20 complaints (200,000),
  5 commitments, 5 NPC/CPPCC items, 2 litigation cases, 2 judgments, a judicial suggestion, a
  debtor listing in ten agencies, and a third-party evaluation score;
- per county a validated default scoring scheme for the current year (what B1 computes) and,
  for the first county, three published earlier years (what the public ranking page shows).

Every value satisfies the application's rules: checksum-valid credit codes and resident ID
numbers, money as Decimal yuan with two places, repayments that add up to the amount repaid
and never exceed the amount owed, publicity windows from the county's publicity rules, dates in
the right order, receipt codes and ledger numbers unique. The bulk is written with COPY in one
transaction per county and table group; the few objects with rules of their own (tenants,
schemes, runs, publications, the users who sign in, API clients) go through the services.
"""

from __future__ import annotations

import contextlib
import io
import json
import random
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import connection
from stdnum.cn import ric, uscc

SHANGHAI = ZoneInfo("Asia/Shanghai")
PASSWORD = "Bench@2026pass"  # noqa: S105 - the benchmark's own users, synthetic database
CITY_CODE = "990000"
UNUSABLE_PASSWORD = "!bench-generated"  # noqa: S105 - a leading "!" is unusable in Django


@dataclass(frozen=True)
class Scale:
    """How big the province is. Per-county shape is fixed; `counties` is what scales."""

    counties: int
    agencies_per_county: int = 100
    issues_per_agency: int = 100
    records_per_agency: int = 10
    complaints_per_agency: int = 20
    commitments_per_agency: int = 5
    proposals_per_agency: int = 5
    milestones_per_agency: int = 5
    import_rows: int = 100_000  # B4/B5's ledger file

    @classmethod
    def named(cls, name: str) -> Scale:
        if name == "small":
            return cls(counties=10, import_rows=10_000)
        if name in ("", "default"):
            return cls(counties=100)
        raise ValueError(f"unknown BENCH_SCALE {name!r} (use default or small)")


# Names --------------------------------------------------------------------------------------

TOWNSHIP_WORDS = list("东西南北中新大小上下前后安宁兴隆丰和平清河石桥")
TOWNSHIP_KINDS = [("镇", "township"), ("乡", "township"), ("街道", "subdistrict")]
DEPARTMENTS = [
    "发改局",
    "财政局",
    "商务局",
    "住建局",
    "审计局",
    "教育局",
    "民政局",
    "人社局",
    "自然资源局",
    "生态环境局",
    "交通运输局",
    "水务局",
    "农业农村局",
    "文旅局",
    "卫健局",
    "应急管理局",
    "市场监管局",
    "统计局",
    "医保局",
    "行政审批局",
    "司法局",
    "公安局",
    "林业局",
    "科技局",
    "工信局",
    "退役军人事务局",
    "信访局",
    "城管局",
    "粮食和物资储备局",
    "数据局",
]
INSTITUTIONS = ["县医院", "县中医院", "县第一中学", "县职教中心", "县疾控中心", "县图书馆"]
SOES = ["县城投公司", "县水务集团", "县交投公司", "县供热公司", "县国资运营公司", "县文旅集团"]
SURNAMES = list("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玉兰德文")
ENTERPRISES = ["建设工程", "建材贸易", "信息技术", "物业服务", "园林绿化", "机电设备", "食品"]
POSITIONS = ["科长", "副局长", "主任", "副镇长", "办事员", "股长"]


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


def organ_code(division: str, serial: int) -> str:
    """A checksum-valid unified social credit code of a government organ (1 1 …)."""
    body = f"11{division}MB{serial:07d}"
    return body + uscc.calc_check_digit(body)


def enterprise_code(division: str, serial: int) -> str:
    """A checksum-valid unified social credit code of an enterprise (9 1 …)."""
    body = f"91{division}MA{serial:07d}"
    return body + uscc.calc_check_digit(body)


def resident_id(rng: random.Random, division: str) -> str:
    birth = date(1965, 1, 1) + timedelta(days=rng.randrange(365 * 35))
    body = f"{division}{birth:%Y%m%d}{rng.randrange(1000):03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum reads the first 17 characters


RECEIPT_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def receipt_code(rng: random.Random, serial: int) -> str:
    """XXXX-XXXX-XXXX: four random characters and the serial in base 32 (unique)."""
    digits = []
    for _ in range(8):
        serial, rest = divmod(serial, 32)
        digits.append(RECEIPT_ALPHABET[rest])
    raw = "".join(rng.choice(RECEIPT_ALPHABET) for _ in range(4)) + "".join(reversed(digits))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=SHANGHAI)


def money(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randrange(low * 100, high * 100)) / 100


# COPY -----------------------------------------------------------------------------------------

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text(value: str) -> str:
    return value.translate(_ESCAPES)


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False).translate(_ESCAPES)


_FORMATS = {
    type(None): lambda _value: "\\N",
    bool: lambda value: "t" if value else "f",
    str: _text,
    int: str,
    Decimal: str,
    date: date.isoformat,
    datetime: datetime.isoformat,
    dict: _json,
    list: _json,
}


def _cell(value) -> str:
    """A value in COPY's text format (NULL is \\N; backslash, tab and newlines escaped)."""
    return _FORMATS.get(type(value), str)(value)


class Writer:
    """Bulk rows into the platform's tables, as the tables' owner, with ids reserved up front
    (rows refer to each other).

    Row by row, the database's triggers cost about 0.3 ms a row here (the foreign-key checks,
    the audit trigger, the change-feed stamp), some eleven minutes for the province. So the
    owner loads each county in one transaction with triggers and foreign-key checks off
    (`session_replication_role = replica`, like pg_restore), and does set-based what the
    triggers would have done row by row: the change-feed stamp (`sync_txid` = the loading
    transaction, `updated_at`) and one audit insert event per row (pghistory's event tables,
    with the generator's audit context). The ids and references are consistent by
    construction; `check_references()` verifies every foreign key afterwards. Where the owner
    may not switch triggers off (not a superuser), the rows go in with every trigger running.
    """

    def __init__(self, owner_url: str | None):
        self.counts: dict[str, int] = {}
        self.seconds: dict[str, float] = {}
        self.now = datetime.now(UTC)
        self.owner_url = owner_url
        self.connection = None
        self.replica = False
        self.context_id = str(uuid.uuid4())

    # The owner's connection, one transaction per county ------------------------------------

    def begin(self) -> None:
        if self.connection is None:
            self.connection = _owner_connection(self.owner_url)
            with self.connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO pghistory_context (id, metadata, created_at, updated_at) "
                    "VALUES (%s, %s, now(), now())",
                    [self.context_id, json.dumps({"source": "command:bench_generate"})],
                )
            self.connection.commit()
        with self.connection.cursor() as cursor:
            try:
                cursor.execute("SET LOCAL session_replication_role = replica")
                self.replica = True
            except Exception:  # noqa: BLE001 - not allowed: keep the triggers
                self.connection.rollback()
                self.replica = False
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SELECT set_config('app.tenant_ids', '*', true)")

    def commit(self) -> None:
        self.connection.commit()

    @contextlib.contextmanager
    def transaction(self):
        """One transaction of the owner's connection."""
        self.begin()
        try:
            yield
        except BaseException:
            self.connection.rollback()
            raise
        self.commit()

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def reserve(self, table: str, n: int) -> int:
        """The first of `n` consecutive ids of the table's identity sequence."""
        with _cursor(self) as cursor:
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            (sequence,) = cursor.fetchone()
            cursor.execute("SELECT nextval(%s)", [sequence])
            (first,) = cursor.fetchone()
            if n > 1:
                cursor.execute("SELECT setval(%s, %s)", [sequence, first + n - 1])
        return first

    def copy(self, table: str, columns: list[str], rows: list[tuple]) -> None:
        """Rows of the model whose table is `table`. Columns not given get the model field's
        default (a field another change adds does not break the generator)."""
        if not rows:
            return
        model = _model_of(table)
        if "id" not in columns and model is not None and model._meta.pk.column == "id":
            first = self.reserve(table, len(rows))
            columns = ["id", *columns]
            rows = [(first + i, *row) for i, row in enumerate(rows)]
        fill = _defaults(model, columns, self.now) if model is not None else {}
        if fill:
            columns = [*columns, *fill]
            extra = tuple(fill.values())
            rows = [row + extra for row in rows]
        buffer = io.StringIO()
        for row in rows:
            buffer.write("\t".join(map(_cell, row)))
            buffer.write("\n")
        buffer.seek(0)
        names = ", ".join(columns)
        staging = f"bench_staging_{table}"
        stamped, stamps = names, names
        if self.replica and model is not None and _synced(model):
            stamped = f"{names}, sync_txid, updated_at"
            stamps = f"{names}, pg_current_xact_id()::text::bigint, now()"
        began = time.monotonic()
        with _cursor(self) as cursor:
            # COPY FROM is refused into a table under row-level security (unless the owner is
            # a superuser): into a temporary table first, then one INSERT … SELECT.
            # Our own table and column names.
            create = f"CREATE TEMPORARY TABLE {staging} ON COMMIT DROP AS SELECT {names} FROM "  # noqa: S608
            cursor.execute(f"{create}{table} WITH NO DATA")
            cursor.copy_expert(f"COPY {staging} ({names}) FROM STDIN", buffer)
            cursor.execute(f"INSERT INTO {table} ({stamped}) SELECT {stamps} FROM {staging}")  # noqa: S608
            if self.replica and model is not None:
                self._events(cursor, model, staging, set(columns))
            cursor.execute(f"DROP TABLE {staging}")
        self.counts[table] = self.counts.get(table, 0) + len(rows)
        self.seconds[table] = self.seconds.get(table, 0) + time.monotonic() - began

    def _events(self, cursor, model, staging: str, given: set[str]) -> None:
        """pghistory's insert event of every row, as its AFTER INSERT trigger writes it."""
        event = _event_model(model)
        if event is None:
            return
        tracked = [f.column for f in event._meta.concrete_fields if not f.name.startswith("pgh_")]
        values = [column if column in given else "NULL" for column in tracked]
        cursor.execute(
            f"INSERT INTO {event._meta.db_table} "  # noqa: S608
            f"(pgh_created_at, pgh_label, pgh_obj_id, pgh_context_id, {', '.join(tracked)}) "
            f"SELECT now(), 'insert', id, %s, {', '.join(values)} FROM {staging}",
            [self.context_id],
        )

    def check_references(self) -> int:
        """Every foreign key of the loaded tables holds (the load ran without the checks).
        Returns the number of constraints checked; raises on a dangling reference."""
        checked = 0
        with _cursor(self) as cursor:
            cursor.execute(
                """
                SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text,
                       fa.attname
                FROM pg_constraint c
                JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
                JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = c.confkey[1]
                WHERE c.contype = 'f' AND c.conrelid::regclass::text = ANY (%s)
                """,
                [list(self.counts)],
            )
            for table, column, target, target_column in cursor.fetchall():
                cursor.execute(
                    f"SELECT count(*) FROM {table} t WHERE t.{column} IS NOT NULL AND NOT "  # noqa: S608
                    f"EXISTS (SELECT 1 FROM {target} r WHERE r.{target_column} = t.{column})"
                )
                (dangling,) = cursor.fetchone()
                if dangling:
                    raise RuntimeError(f"{dangling} rows of {table}.{column} point nowhere")
                checked += 1
        self.commit()
        return checked


class _cursor:
    def __init__(self, writer: Writer):
        self.writer = writer

    def __enter__(self):
        if self.writer.connection is None:
            self.writer.begin()
        self.cursor = self.writer.connection.cursor()
        return self.cursor

    def __exit__(self, *exc):
        self.cursor.close()


def _owner_connection(owner_url: str | None):
    import psycopg2

    if owner_url:
        url = owner_url.replace("postgres://", "postgresql://", 1)
        return psycopg2.connect(url)
    settings = connection.settings_dict
    return psycopg2.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"],
        host=settings["HOST"],
        port=settings["PORT"],
    )


def _synced(model) -> bool:
    from integrity.sync import Synced

    return issubclass(model, Synced)


def _event_model(model):
    from django.apps import apps

    for candidate in apps.get_models():
        if getattr(candidate, "pgh_tracked_model", None) is model:
            return candidate
    return None


def _model_of(table: str):
    from django.apps import apps

    for model in apps.get_models(include_auto_created=True):
        if model._meta.db_table == table:
            return model
    return None


def _defaults(model, columns: list[str], now: datetime) -> dict[str, object]:
    """{column: value} for the non-null columns not given that have a default."""
    given = set(columns)
    fill = {}
    for field in model._meta.concrete_fields:
        column = field.column
        if (
            column in given
            or field.primary_key
            or field.null
            or column in ("sync_txid", "updated_at")
        ):
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            fill[column] = now
        else:  # the field's default, "" for text without one (as Django saves it)
            value = field.get_default()
            if value is not None:
                value = field.get_db_prep_save(value, connection)
                fill[column] = getattr(value, "adapted", value)  # JSON comes wrapped
    return fill


# The province ---------------------------------------------------------------------------------


@dataclass
class County:
    tenant: object
    agencies: list[dict]
    domains: list[int]
    problem_types: list[int]
    rules: dict[str, object]  # severity -> PublicityRule
    office_id: int
    evaluator_id: int
    campaign_id: int = 0


class ProvinceGenerator:
    def __init__(self, *, scale: Scale, seed: int, today: date, owner_url=None, log=print):
        self.scale = scale
        self.seed = seed
        self.today = today
        self.year = today.year
        self.rng = random.Random(seed)
        self.log = log
        self.writer = Writer(owner_url)
        self.now = datetime.now(UTC)
        self.receipts = 0
        self.serial = 0

    # Orchestration ----------------------------------------------------------------------------

    def run(self) -> dict:
        started = time.monotonic()
        from integrity.audit import audit_context

        with audit_context(source="command:bench_generate"):
            admin = self._platform_admin()
            city = self._tenant("基准市", CITY_CODE, "city", None, admin)
            counties = [self._county(city, index, admin) for index in range(self.scale.counties)]
            self.log(
                f"  {len(counties)} counties with their defaults "
                f"({time.monotonic() - started:.0f} s)"
            )
            for index, county in enumerate(counties):
                with self.writer.transaction():
                    self._county_rows(county, index)
                if (index + 1) % 10 == 0 or index + 1 == len(counties):
                    self.log(
                        f"  {index + 1}/{len(counties)} counties filled "
                        f"({time.monotonic() - started:.0f} s)"
                    )
            checked = self.writer.check_references()
            self.log(f"  {checked} foreign keys of the loaded tables checked")
            manifest = self._scoring_and_users(city, counties, admin)
        with self.writer.transaction(), _cursor(self.writer) as cursor:
            cursor.execute("ANALYZE")
        self.writer.close()
        manifest["rows"] = dict(sorted(self.writer.counts.items()))
        manifest["load_seconds"] = {k: round(v, 1) for k, v in sorted(self.writer.seconds.items())}
        manifest["seconds"] = round(time.monotonic() - started, 1)
        return manifest

    def _platform_admin(self):
        from accounts.choices import Role
        from accounts.models import User
        from accounts.services import user_create

        user = User.objects.filter(username="bench-admin").first()
        if user is None:
            user = user_create(
                data={
                    "username": "bench-admin",
                    "display_name": "基准管理员",
                    "role": Role.PLATFORM_ADMIN,
                },
                password=PASSWORD,
                actor=None,
            )
            User.objects.filter(pk=user.pk).update(must_change_password=False)
        return user

    def _tenant(self, name, code, level, parent, admin):
        from accounts.services import tenant_create

        return tenant_create(
            data={"name": name, "division_code": code, "level": level, "parent": parent},
            actor=admin,
        )

    def _county(self, city, index: int, admin) -> County:
        from domains.models import KeyDomain, ProblemType, PublicityRule

        code = f"99{1 + index // 99:02d}{1 + index % 99:02d}"
        tenant = self._tenant(f"基准县{index + 1:03d}", code, "county", city, admin)
        domains = list(
            KeyDomain.objects.filter(tenant=tenant, is_active=True)
            .order_by("position")
            .values_list("id", flat=True)
        )
        problem_types = list(
            ProblemType.objects.filter(tenant=tenant)
            .order_by("position")
            .values_list("id", flat=True)
        )
        rules = {rule.severity: rule for rule in PublicityRule.objects.filter(tenant=tenant)}
        agencies = self._agencies(tenant)
        office_id, evaluator_id = self._staff(tenant, index)
        return County(tenant, agencies, domains, problem_types, rules, office_id, evaluator_id)

    def _agencies(self, tenant) -> list[dict]:
        rng, n = self.rng, self.scale.agencies_per_county
        townships = (n * 2) // 5
        names: list[tuple[str, str, str]] = []
        words = TOWNSHIP_WORDS[:]
        rng.shuffle(words)
        for i in range(townships):
            suffix, kind = (
                TOWNSHIP_KINDS[i % 3] if i < townships - 2 else ("开发区管委会", "development_zone")
            )
            word = words[i % len(words)] + (
                words[(i * 7 + 3) % len(words)] if i >= len(words) else ""
            )
            names.append(
                (
                    f"{word}{suffix}"
                    if kind != "development_zone"
                    else f"{word}{'经济' if i % 2 else '高新'}{suffix}",
                    kind,
                    "township",
                )
            )
        others = (
            [("县" + d, "department") for d in DEPARTMENTS]
            + [(d, "public_institution") for d in INSTITUTIONS]
            + [(d, "state_enterprise") for d in SOES]
        )
        for i in range(n - townships):
            base, kind = others[i % len(others)]
            name = base if i < len(others) else f"{base}第{i // len(others) + 1}分支"
            names.append((name, kind, "department"))
        seen = set()
        unique = []
        for name, kind, group in names:
            while name in seen:
                name += "二"
            seen.add(name)
            unique.append((name, kind, group))
        first = self.writer.reserve("accounts_agency", len(unique))
        rows, agencies = [], []
        for offset, (name, kind, group) in enumerate(unique):
            self.serial += 1
            agency = {
                "id": first + offset,
                "name": name,
                "kind": kind,
                "group": group,
                "credit_code": organ_code(tenant.division_code, self.serial),
            }
            agencies.append(agency)
            rows.append(
                (
                    agency["id"],
                    tenant.pk,
                    name,
                    kind,
                    agency["credit_code"],
                    group,
                    person_name(rng),
                    person_name(rng),
                    f"0314-{rng.randrange(10**7):07d}",
                    True,
                    self.now,
                )
            )
        with self.writer.transaction():
            self.writer.copy(
                "accounts_agency",
                [
                    "id",
                    "tenant_id",
                    "name",
                    "kind",
                    "credit_code",
                    "ranking_group",
                    "leader_name",
                    "contact_name",
                    "contact_phone",
                    "is_active",
                    "created_at",
                ],
                rows,
            )
        return agencies

    def _staff(self, tenant, index: int) -> tuple[int, int]:
        """The county's office administrator and third-party evaluator, who never sign in here
        (unusable passwords; the signed-in users are made through the services)."""
        first = self.writer.reserve("accounts_user", 2)
        rows = [
            (first, f"bench-office-{tenant.division_code}", "信用办管理员", "office_admin", None),
            (
                first + 1,
                f"bench-evaluator-{tenant.division_code}",
                "第三方评价机构",
                "evaluator",
                None,
            ),
        ]
        with self.writer.transaction():
            self.writer.copy(
                "accounts_user",
                [
                    "id",
                    "username",
                    "display_name",
                    "role",
                    "agency_id",
                    "tenant_id",
                    "password",
                    "date_joined",
                ],
                [
                    (pk, username, display, role, agency, tenant.pk, UNUSABLE_PASSWORD, self.now)
                    for pk, username, display, role, agency in rows
                ],
            )
        return first, first + 1

    # One county's rows ------------------------------------------------------------------------

    def _county_rows(self, county: County, index: int) -> None:
        self._campaign(county)
        self._ledger(county)
        self._filings_and_milestones(county)
        self._records(county)
        self._commitments(county)
        self._complaints(county)
        self._supervision_items(county)

    def _campaign(self, county: County) -> None:
        w, y, tenant = self.writer, self.year, county.tenant
        county.campaign_id = w.reserve("rectification_campaign", 1)
        w.copy(
            "rectification_campaign",
            [
                "id",
                "tenant_id",
                "title",
                "document_number",
                "year",
                "description",
                "report_deadline",
                "plan_deadline",
                "completion_deadline",
                "status",
                "launched_at",
                "created_by_id",
                "created_at",
            ],
            [
                (
                    county.campaign_id,
                    tenant.pk,
                    f"{tenant.name}{y}年政务失信专项治理",
                    f"{tenant.name[:3]}信办〔{y}〕1号",
                    y,
                    "开展政务失信专项治理，全面自查自纠、建立台账、限期整改。",
                    date(y, 3, 31),
                    date(y, 4, 30),
                    date(y, 12, 31),
                    "launched",
                    at(date(y, 2, 1)),
                    county.office_id,
                    at(date(y, 1, 20)),
                )
            ],
        )
        w.copy(
            "rectification_campaigndomain",
            ["campaign_id", "domain_id"],
            [(county.campaign_id, d) for d in county.domains],
        )
        first = w.reserve("rectification_participation", len(county.agencies))
        w.copy(
            "rectification_participation",
            ["id", "tenant_id", "campaign_id", "agency_id", "notified_at", "last_issue_number"],
            [
                (
                    first + i,
                    tenant.pk,
                    county.campaign_id,
                    a["id"],
                    at(date(y, 2, 1)),
                    self.scale.issues_per_agency,
                )
                for i, a in enumerate(county.agencies)
            ],
        )

    def _ledger(self, county: County) -> None:
        rng, w, y, today = self.rng, self.writer, self.year, self.today
        tenant, division = county.tenant, county.tenant.division_code
        per = self.scale.issues_per_agency
        first = w.reserve("rectification_ledgerissue", per * len(county.agencies))
        issues, repayments = [], []
        start = date(y - 1, 7, 1)
        span = (today - start).days
        statuses = ["pending"] * 25 + ["in_progress"] * 25 + ["rectified"] * 15 + ["closed"] * 35
        sources = ["self_inspection"] * 6 + ["complaint", "inspection", "audit"]
        pk = first
        for agency in county.agencies:
            figures = {}
            for number in range(1, per + 1):
                discovered = start + timedelta(days=rng.randrange(span + 1))
                deadline = discovered + timedelta(days=rng.randrange(30, 240))
                status = rng.choice(statuses)
                rectified_on = closed_at = closed_by = None
                if status in ("rectified", "closed"):
                    rectified_on = min(today, discovered + timedelta(days=rng.randrange(5, 200)))
                if status == "closed":
                    closed_at = at(
                        min(today, rectified_on + timedelta(days=rng.randrange(1, 20))), 15
                    )
                    closed_by = county.office_id
                arrears = rng.random() < 0.4
                owed = accepted = creditor = creditor_code = contract = None
                repaid, term, sme = Decimal("0.00"), 30, False
                if arrears:
                    owed = money(rng, 10_000, 5_000_000)
                    accepted = discovered - timedelta(days=rng.randrange(0, 300))
                    term = rng.choice((30, 30, 45, 60))
                    sme = rng.random() < 0.7
                    self.serial += 1
                    kind = rng.choice(ENTERPRISES)
                    creditor = f"{tenant.name[-4:]}{kind}有限公司{self.serial % 1000:03d}"
                    creditor_code = enterprise_code(division, self.serial)
                    contract = f"HT-{y}-{self.serial:06d}"
                    paid_on = accepted
                    for _ in range(rng.choice((0, 1, 1, 2, 3))):
                        if (today - paid_on).days < 2 or repaid >= owed:
                            break
                        paid_on = paid_on + timedelta(days=rng.randrange(1, (today - paid_on).days))
                        amount = min(owed - repaid, money(rng, 1_000, max(1_001, int(owed) // 2)))
                        if amount <= 0:
                            break
                        repaid += amount
                        repayments.append(
                            (tenant.pk, pk, paid_on, amount, "", county.office_id, at(paid_on, 16))
                        )
                issues.append(
                    (
                        pk,
                        tenant.pk,
                        county.campaign_id,
                        agency["id"],
                        number,
                        county.domains[rng.randrange(len(county.domains))],
                        county.problem_types[rng.randrange(len(county.problem_types))],
                        creditor or f"{agency['name']}",
                        creditor_code or "",
                        f"{agency['name']}自查发现问题第{number}项：未按约定履行付款或承诺义务。",
                        person_name(rng),
                        "资金安排不到位，履约意识不强。",
                        "限期整改，按合同约定支付欠款。",
                        rng.choice(sources),
                        discovered,
                        deadline,
                        status,
                        {},
                        creditor or "",
                        creditor_code or "",
                        sme,
                        contract or "",
                        accepted,
                        term,
                        owed,
                        repaid,
                        Decimal("0.000500"),
                        "已按要求整改。" if rectified_on else "",
                        rectified_on,
                        "经核查，整改到位，同意销号。" if closed_at else "",
                        closed_at,
                        closed_by,
                        county.office_id,
                        at(discovered, 9),
                    )
                )
                figures.setdefault(status, 0)
                figures[status] += 1
                pk += 1
            agency["issue_statuses"] = figures
        w.copy(
            "rectification_ledgerissue",
            [
                "id",
                "tenant_id",
                "campaign_id",
                "agency_id",
                "number",
                "domain_id",
                "problem_type_id",
                "subject_name",
                "subject_credit_code",
                "description",
                "responsible_person",
                "cause",
                "handling_opinion",
                "source",
                "discovered_on",
                "deadline",
                "status",
                "extra",
                "creditor_name",
                "creditor_credit_code",
                "creditor_is_sme",
                "contract",
                "accepted_on",
                "payment_term_days",
                "amount_owed",
                "amount_repaid",
                "daily_interest_rate",
                "rectification_note",
                "rectified_on",
                "verification_note",
                "closed_at",
                "closed_by_id",
                "created_by_id",
                "created_at",
            ],
            issues,
        )
        w.copy(
            "rectification_repayment",
            ["tenant_id", "issue_id", "paid_on", "amount", "note", "created_by_id", "created_at"],
            repayments,
        )

    def _filings_and_milestones(self, county: County) -> None:
        from rectification.choices import FILING_SECTIONS

        rng, w, y, tenant = self.rng, self.writer, self.year, county.tenant
        deadlines = {"self_inspection_report": date(y, 3, 31), "rectification_plan": date(y, 4, 30)}
        filings, versions = [], []
        first = w.reserve("rectification_filing", 2 * len(county.agencies))
        pk = first
        for agency in county.agencies:
            for kind, deadline in deadlines.items():
                submitted = deadline + timedelta(days=rng.randrange(-20, 12))
                late = submitted > deadline
                status = rng.choice(("accepted",) * 7 + ("submitted",) * 2 + ("returned",))
                sections = {
                    key: f"<p>{agency['name']}{label}：按要求开展。</p>"
                    for key, label, _h in FILING_SECTIONS[kind]
                }
                accepted_at = (
                    at(submitted + timedelta(days=5), 11) if status == "accepted" else None
                )
                filings.append(
                    (
                        pk,
                        tenant.pk,
                        county.campaign_id,
                        agency["id"],
                        kind,
                        sections,
                        status,
                        "同意报送。",
                        "请补充整改时限。" if status == "returned" else "",
                        at(submitted),
                        late,
                        at(submitted),
                        accepted_at,
                        county.office_id,
                        at(submitted - timedelta(days=7)),
                    )
                )
                statuses = agency["issue_statuses"]
                figures = {
                    "by_domain": [],
                    "by_type": [],
                    "by_status": {
                        s: statuses.get(s, 0)
                        for s in ("pending", "in_progress", "rectified", "closed")
                    },
                    "total": sum(statuses.values()),
                }
                outcome = {"accepted": "accepted", "returned": "returned"}.get(status, "pending")
                versions.append(
                    (
                        tenant.pk,
                        pk,
                        1,
                        sections,
                        figures,
                        [],
                        at(submitted),
                        late,
                        outcome,
                        "请补充整改时限。" if status == "returned" else "",
                        county.office_id if outcome != "pending" else None,
                        at(submitted + timedelta(days=5), 11) if outcome != "pending" else None,
                    )
                )
                pk += 1
        w.copy(
            "rectification_filing",
            [
                "id",
                "tenant_id",
                "campaign_id",
                "agency_id",
                "kind",
                "sections",
                "status",
                "signoff_comment",
                "review_comment",
                "first_submitted_at",
                "is_late",
                "submitted_at",
                "accepted_at",
                "created_by_id",
                "created_at",
            ],
            filings,
        )
        w.copy(
            "rectification_filingversion",
            [
                "tenant_id",
                "filing_id",
                "number",
                "sections",
                "figures",
                "attachments",
                "submitted_at",
                "is_late",
                "outcome",
                "review_comment",
                "reviewed_by_id",
                "reviewed_at",
            ],
            versions,
        )
        milestones = []
        for agency in county.agencies:
            for n in range(self.scale.milestones_per_agency):
                due = date(y, 3, 1) + timedelta(days=rng.randrange(300))
                done = due <= self.today and rng.random() < 0.7
                completed = due + timedelta(days=rng.randrange(-15, 10)) if done else None
                if completed and completed > self.today:
                    completed = self.today
                milestones.append(
                    (
                        tenant.pk,
                        county.campaign_id,
                        agency["id"],
                        f"整改节点{n + 1}：完成阶段性整改",
                        due,
                        person_name(rng),
                        "done" if done else "open",
                        100 if done else rng.randrange(0, 90, 10),
                        completed,
                        at(date(y, 4, 20)),
                    )
                )
        w.copy(
            "rectification_milestone",
            [
                "tenant_id",
                "campaign_id",
                "agency_id",
                "title",
                "due_on",
                "owner",
                "status",
                "progress",
                "completed_on",
                "created_at",
            ],
            milestones,
        )

    def _records(self, county: County) -> None:
        from domains.rules import publicity_window

        rng, w, today, tenant = self.rng, self.writer, self.today, county.tenant
        division = tenant.division_code
        n = self.scale.records_per_agency * len(county.agencies)
        first = w.reserve("domains_trustrecord", n)
        records, measures, requests = [], [], []
        subject_kinds = (
            ["agency"] * 12 + ["civil_servant"] * 5 + ["state_enterprise"] * 2 + ["government"]
        )
        severities = ["light"] * 3 + ["general"] * 5 + ["serious"] * 2
        sources = [
            "judgment",
            "administrative_penalty",
            "discipline",
            "accountability",
            "complaint",
            "inspection",
        ]
        measure_types = [
            "written_warning",
            "admonition",
            "criticism",
            "honour_removal",
            "bank_notice",
        ]
        pk = first
        for agency in county.agencies:
            for _n in range(self.scale.records_per_agency):
                subject = rng.choice(subject_kinds)
                severity = rng.choice(severities)
                decided = today - timedelta(days=rng.randrange(900))
                rule = county.rules[severity]
                min_end, max_end = publicity_window(decided, rule.min_months, rule.max_months)
                agency_id, name, code, id_number, position = (
                    agency["id"],
                    agency["name"],
                    agency["credit_code"],
                    "",
                    "",
                )
                if subject == "civil_servant":
                    name, id_number, position = (
                        person_name(rng),
                        resident_id(rng, division),
                        rng.choice(POSITIONS),
                    )
                elif subject == "state_enterprise":
                    self.serial += 1
                    name = f"{tenant.name[-4:]}{rng.choice(ENTERPRISES)}国有公司"
                    code = enterprise_code(division, self.serial)
                elif subject == "government":
                    agency_id, name, code = None, f"{tenant.name}人民政府", ""
                status, ended_on, end_reason, stopped, stop_reason, changed = (
                    "active",
                    None,
                    "",
                    None,
                    "",
                    None,
                )
                roll = rng.random()
                if roll < 0.03:
                    status, ended_on, end_reason = (
                        "revoked",
                        decided + timedelta(days=30),
                        "记录撤销",
                    )
                    stopped, stop_reason, changed = ended_on, "记录撤销", at(ended_on)
                elif roll < 0.05 and min_end <= today:
                    status, ended_on, end_reason = "repaired", min_end, "信用修复"
                    stopped, stop_reason, changed = min_end, "信用修复", at(min_end)
                elif max_end <= today:
                    status, ended_on, end_reason, changed = (
                        "expired",
                        max_end,
                        "公示期届满",
                        at(max_end),
                    )
                records.append(
                    (
                        pk,
                        tenant.pk,
                        str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                        subject,
                        agency_id,
                        name,
                        code,
                        id_number,
                        position,
                        county.domains[rng.randrange(len(county.domains))],
                        county.problem_types[rng.randrange(len(county.problem_types))],
                        rng.choice(sources),
                        severity,
                        f"{name}未履行与企业签订的合同约定，拖欠款项，经查属实。",
                        f"{tenant.name[:3]}决〔{decided.year}〕{pk % 10000}号",
                        f"{tenant.name}信用办",
                        decided,
                        decided + timedelta(days=365),
                        rule.pk,
                        min_end,
                        max_end,
                        rule.published_by_default,
                        status,
                        changed,
                        "" if status == "active" else end_reason,
                        ended_on,
                        end_reason,
                        stopped,
                        stop_reason,
                        county.office_id,
                        at(decided, 14),
                    )
                )
                measures.append(
                    (
                        tenant.pk,
                        pk,
                        rng.choice(measure_types),
                        decided + timedelta(days=3),
                        f"{tenant.name}人民政府",
                        "",
                        at(decided + timedelta(days=3)),
                    )
                )
                if status == "active" and rng.random() < 0.01:
                    self.receipts += 1
                    filed = today - timedelta(days=rng.randrange(3))
                    requests.append(
                        (
                            tenant.pk,
                            pk,
                            "objection",
                            receipt_code(rng, self.receipts),
                            person_name(rng),
                            f"138{rng.randrange(10**8):08d}",
                            True,
                            "记录所载事实有误，申请更正。",
                            False,
                            False,
                            False,
                            False,
                            False,
                            False,
                            "pending",
                            filed + timedelta(days=7),
                            "",
                            "",
                            at(filed),
                        )
                    )
                pk += 1
        w.copy(
            "domains_trustrecord",
            [
                "id",
                "tenant_id",
                "public_id",
                "subject_type",
                "agency_id",
                "subject_name",
                "subject_credit_code",
                "person_id_number",
                "person_position",
                "domain_id",
                "problem_type_id",
                "source",
                "severity",
                "facts",
                "decision_number",
                "deciding_authority",
                "decision_date",
                "punishment_end",
                "publicity_rule_id",
                "publicity_min_end",
                "publicity_max_end",
                "is_public",
                "status",
                "status_changed_at",
                "status_reason",
                "publicity_ended_on",
                "publicity_end_reason",
                "sharing_stopped_on",
                "sharing_stop_reason",
                "created_by_id",
                "created_at",
            ],
            records,
        )
        w.copy(
            "domains_punishmentmeasure",
            [
                "tenant_id",
                "record_id",
                "measure_type",
                "date",
                "issuing_body",
                "note",
                "created_at",
            ],
            measures,
        )
        w.copy(
            "domains_creditrequest",
            [
                "tenant_id",
                "record_id",
                "kind",
                "receipt_code",
                "applicant_name",
                "applicant_phone",
                "applicant_is_subject",
                "reason",
                "declares_corrected",
                "declares_commitment",
                "declares_other",
                "confirmed_corrected",
                "confirmed_commitment",
                "confirmed_other",
                "status",
                "deadline",
                "outcome",
                "decision_reason",
                "submitted_at",
            ],
            requests,
        )

    def _commitments(self, county: County) -> None:
        rng, w, y, tenant = self.rng, self.writer, self.year, county.tenant
        categories = ["administrative_matter", "service_quality", "deadline", "guarantee"]
        rows = []
        for agency in county.agencies:
            for n in range(self.scale.commitments_per_agency):
                promised = date(y - 1, 1, 1) + timedelta(days=rng.randrange(700))
                status = "in_progress"
                if promised <= self.today:
                    status = "fulfilled" if rng.random() < 0.85 else "in_progress"
                rows.append(
                    (
                        tenant.pk,
                        agency["id"],
                        rng.choice(categories),
                        f"{agency['name']}承诺事项{n + 1}",
                        "按期办结政务服务事项，兑现政策承诺。",
                        promised,
                        status,
                        "已按期兑现。" if status == "fulfilled" else "",
                        "",
                        at(promised) if status == "fulfilled" else None,
                        True,
                        county.office_id,
                        at(promised - timedelta(days=90)),
                    )
                )
        w.copy(
            "domains_commitment",
            [
                "tenant_id",
                "agency_id",
                "category",
                "title",
                "content",
                "promised_date",
                "status",
                "fulfilment_evidence",
                "status_note",
                "status_changed_at",
                "is_public",
                "created_by_id",
                "created_at",
            ],
            rows,
        )

    def _complaints(self, county: County) -> None:
        rng, w, today, tenant = self.rng, self.writer, self.today, county.tenant
        channels = [
            "website",
            "hotline_12345",
            "hotline_12345",
            "hotline_961890",
            "letter",
            "visit",
        ]
        statuses = ["received"] + ["assigned"] * 2 + ["replied"] * 2 + ["verified"] + ["closed"] * 4
        verifications = ["founded", "partly_founded", "unfounded", "unfounded"]
        rows = []
        start = date(self.year - 1, 7, 1)
        span = (today - start).days
        for agency in county.agencies:
            for _n in range(self.scale.complaints_per_agency):
                received = start + timedelta(days=rng.randrange(span + 1))
                status = rng.choice(statuses) if (today - received).days > 20 else "assigned"
                channel = rng.choice(channels)
                self.receipts += 1
                reference = f"GD{self.receipts:09d}" if channel.startswith("hotline") else ""
                assigned_at = deadline = replied_at = verified_at = closed_at = None
                verification = reply = public_reply = ""
                overdue = False
                if status != "received":
                    assigned_at = at(received + timedelta(days=1))
                    deadline = received + timedelta(days=16)
                if status in ("replied", "verified", "closed"):
                    replied = received + timedelta(days=rng.randrange(3, 20))
                    replied_at = at(min(replied, today), 17)
                    reply = "已核实情况并整改，款项已支付。"
                if status in ("verified", "closed"):
                    verification = rng.choice(verifications)
                    verified_at = replied_at + timedelta(days=2)
                if status == "closed":
                    closed_at = verified_at + timedelta(days=1)
                    public_reply = "经核查，已督促相关单位整改，现予答复。"
                if status == "assigned" and deadline < today:
                    overdue = True
                rows.append(
                    (
                        tenant.pk,
                        str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                        receipt_code(rng, self.receipts),
                        channel,
                        reference,
                        agency["id"],
                        county.domains[rng.randrange(len(county.domains))],
                        f"反映{agency['name']}拖欠工程款问题",
                        "我公司承建的项目已验收，款项至今未付。",
                        money(rng, 1_000, 900_000),
                        received - timedelta(days=rng.randrange(60)),
                        person_name(rng),
                        f"139{rng.randrange(10**8):08d}",
                        status,
                        received,
                        assigned_at,
                        deadline,
                        reply,
                        replied_at,
                        verification,
                        "经核查属实。" if verification else "",
                        verified_at,
                        public_reply,
                        closed_at,
                        overdue,
                        county.office_id,
                        at(received, 9),
                    )
                )
        w.copy(
            "supervision_complaint",
            [
                "tenant_id",
                "public_id",
                "receipt_code",
                "channel",
                "source_reference",
                "agency_id",
                "domain_id",
                "title",
                "content",
                "amount",
                "occurred_on",
                "complainant_name",
                "complainant_phone",
                "status",
                "received_on",
                "assigned_at",
                "reply_deadline",
                "agency_reply",
                "replied_at",
                "verification",
                "verification_note",
                "verified_at",
                "public_reply",
                "closed_at",
                "is_overdue",
                "created_by_id",
                "created_at",
            ],
            rows,
        )

    def _supervision_items(self, county: County) -> None:
        rng, w, y, today, tenant = self.rng, self.writer, self.year, self.today, county.tenant
        start = date(y - 1, 3, 1)
        span = (today - start).days
        proposals, cases, judgments, suggestions, listings, scores = [], [], [], [], [], []
        serial = 0
        for index, agency in enumerate(county.agencies):
            aid = agency["id"]
            for _n in range(self.scale.proposals_per_agency):
                serial += 1
                assigned = start + timedelta(days=rng.randrange(span + 1))
                due = assigned + timedelta(days=90)
                replied = assigned + timedelta(days=rng.randrange(20, 110))
                replied = replied if replied <= today else None
                satisfaction = (
                    rng.choice(("satisfied", "basically_satisfied", "dissatisfied", ""))
                    if replied
                    else ""
                )
                proposals.append(
                    (
                        tenant.pk,
                        aid,
                        rng.choice(("npc_suggestion", "cppcc_proposal")),
                        f"{assigned.year}-{serial:05d}",
                        "关于优化营商环境、及时支付企业账款的建议",
                        assigned,
                        due,
                        replied,
                        satisfaction,
                        "",
                    )
                )
            for n in range(2):
                hearing = start + timedelta(days=rng.randrange(span + 1))
                required = rng.random() < 0.8
                cases.append(
                    (
                        tenant.pk,
                        aid,
                        f"（{hearing.year}）冀99行初{serial * 2 + n}号",
                        f"{tenant.name}人民法院",
                        "行政协议纠纷",
                        hearing,
                        required,
                        required and rng.random() < 0.8,
                        "",
                    )
                )
                effective = start + timedelta(days=rng.randrange(span + 1))
                due = effective + timedelta(days=rng.randrange(15, 90))
                executed = due + timedelta(days=rng.randrange(-30, 20))
                judgments.append(
                    (
                        tenant.pk,
                        aid,
                        rng.choice(("judgment", "arbitral_award")),
                        f"（{effective.year}）冀99民初{serial * 2 + n}号",
                        f"{tenant.name}人民法院",
                        effective,
                        due,
                        executed if executed <= today else None,
                        money(rng, 10_000, 2_000_000),
                        "",
                    )
                )
            received = start + timedelta(days=rng.randrange(span + 1))
            answered = received + timedelta(days=rng.randrange(10, 70))
            suggestions.append(
                (
                    tenant.pk,
                    aid,
                    f"司建〔{received.year}〕{serial}号",
                    f"{tenant.name}人民法院",
                    received,
                    received + timedelta(days=60),
                    answered if answered <= today else None,
                    "建议规范合同履行。",
                )
            )
            if index % 10 == 3:
                listed = start + timedelta(days=rng.randrange(span + 1))
                removed = listed + timedelta(days=rng.randrange(30, 400))
                listings.append(
                    (
                        tenant.pk,
                        aid,
                        f"（{listed.year}）冀99执{serial}号",
                        f"{tenant.name}人民法院",
                        listed,
                        removed if removed <= today else None,
                        money(rng, 10_000, 500_000),
                    )
                )
        w.copy(
            "supervision_proposal",
            [
                "tenant_id",
                "agency_id",
                "kind",
                "number",
                "title",
                "assigned_on",
                "reply_deadline",
                "replied_on",
                "satisfaction",
                "note",
            ],
            proposals,
        )
        w.copy(
            "supervision_litigationcase",
            [
                "tenant_id",
                "agency_id",
                "case_number",
                "court",
                "cause",
                "hearing_date",
                "head_appearance_required",
                "head_appeared",
                "note",
            ],
            cases,
        )
        w.copy(
            "supervision_judgment",
            [
                "tenant_id",
                "agency_id",
                "kind",
                "case_number",
                "authority",
                "effective_on",
                "due_on",
                "executed_on",
                "amount",
                "note",
            ],
            judgments,
        )
        w.copy(
            "supervision_judicialsuggestion",
            [
                "tenant_id",
                "agency_id",
                "number",
                "court",
                "received_on",
                "due_on",
                "answered_on",
                "content",
            ],
            suggestions,
        )
        w.copy(
            "supervision_debtorlisting",
            ["tenant_id", "agency_id", "case_number", "court", "listed_on", "removed_on", "amount"],
            listings,
        )
        assignment = w.reserve("supervision_evaluationassignment", 1)
        w.copy(
            "supervision_evaluationassignment",
            [
                "id",
                "tenant_id",
                "evaluator_id",
                "title",
                "period_start",
                "period_end",
                "created_at",
            ],
            [
                (
                    assignment,
                    tenant.pk,
                    county.evaluator_id,
                    f"{y}年度第三方政务诚信评价",
                    date(y, 1, 1),
                    date(y, 12, 31),
                    at(date(y, 6, 1)),
                )
            ],
        )
        w.copy(
            "supervision_assignedagency",
            ["assignment_id", "agency_id"],
            [(assignment, a["id"]) for a in county.agencies],
        )
        for agency in county.agencies:
            scores.append(
                (
                    tenant.pk,
                    assignment,
                    agency["id"],
                    Decimal(rng.randrange(6000, 10000)) / 100,
                    "评价报告已提交。",
                    "accepted",
                    "",
                    at(date(y, 10, 15)),
                    county.office_id,
                )
            )
        w.copy(
            "supervision_evaluationscore",
            [
                "tenant_id",
                "assignment_id",
                "agency_id",
                "score",
                "comments",
                "status",
                "rejection_reason",
                "submitted_at",
                "decided_by_id",
            ],
            scores,
        )

    # Schemes, publications and the users who sign in ----------------------------------------

    def _scoring_and_users(self, city, counties: list[County], admin) -> dict:
        from accounts.choices import Role
        from accounts.models import Agency, User
        from accounts.services import api_client_create, user_create
        from scoring import services as scoring

        first = counties[0]
        for county in counties:
            scheme = scoring.scheme_create(
                tenant=county.tenant,
                data={
                    "name": f"{county.tenant.name}{self.year}年度政务诚信督导评分",
                    "period_kind": "year",
                    "year": self.year,
                },
                actor=admin,
            )
            problems = scoring.scheme_validate(scheme=scheme, actor=admin)
            if problems:
                raise RuntimeError(f"default scheme invalid: {problems}")
        self.log("  schemes ready")
        office = user_create(
            data={
                "username": "bench-office",
                "display_name": "基准县信用办",
                "role": Role.OFFICE_ADMIN,
                "tenant": first.tenant,
            },
            password=PASSWORD,
            actor=admin,
        )
        clerk_agency = Agency.objects.get(pk=first.agencies[0]["id"])
        clerk = user_create(
            data={
                "username": "bench-clerk",
                "display_name": "基准填报员",
                "role": Role.AGENCY_CLERK,
                "tenant": first.tenant,
                "agency": clerk_agency,
            },
            password=PASSWORD,
            actor=admin,
        )
        User.objects.filter(pk__in=[office.pk, clerk.pk]).update(must_change_password=False)
        for year in (self.year - 3, self.year - 2, self.year - 1):
            scheme = scoring.scheme_create(
                tenant=first.tenant,
                data={
                    "name": f"{first.tenant.name}{year}年度政务诚信督导评分",
                    "period_kind": "year",
                    "year": year,
                },
                actor=office,
            )
            scoring.scheme_validate(scheme=scheme, actor=office)
            run = scoring.run_create(scheme=scheme, actor=office)
            scoring.run_execute(run.pk)
            run.refresh_from_db()
            scoring.run_publish(
                run=run, notice=f"{year}年度政务诚信督导评分结果通报。", actor=office
            )
        self.log("  earlier rankings published")
        _client, county_key = api_client_create(
            tenant=first.tenant,
            data={"name": "基准县数据同步", "scopes": ["*"], "rate": "100000/min"},
            actor=office,
        )
        _client, city_key = api_client_create(
            tenant=city,
            data={"name": "基准市信用平台", "scopes": ["*"], "rate": "100000/min"},
            actor=admin,
        )
        return {
            "scale": {
                "counties": self.scale.counties,
                "agencies_per_county": self.scale.agencies_per_county,
                "import_rows": self.scale.import_rows,
            },
            "seed": self.seed,
            "today": self.today.isoformat(),
            "city": {"id": city.pk, "division_code": city.division_code},
            "county": {
                "id": first.tenant.pk,
                "division_code": first.tenant.division_code,
                "campaign_id": first.campaign_id,
            },
            "counties": [c.tenant.pk for c in counties],
            "users": {
                "office": "bench-office",
                "clerk": "bench-clerk",
                "admin": "bench-admin",
                "password": PASSWORD,
            },
            "clerk_agency_id": clerk_agency.pk,
            "keys": {"county": county_key, "city": city_key},
        }


def generate(
    *, scale: Scale, seed: int, today: date | None = None, owner_url: str | None = None, log=print
) -> dict:
    from django.utils import timezone

    generator = ProvinceGenerator(
        scale=scale, seed=seed, today=today or timezone.localdate(), owner_url=owner_url, log=log
    )
    return generator.run()
