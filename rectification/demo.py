"""Demo data for campaign work (called by `manage.py seed_demo`).

丰宁 gets a running campaign launched about 40 days ago (self-inspection reports due 20 days ago,
rectification plans 5 days ago, completion in 55 days) with ledgers in every status, arrears
with dated repayments, filings in every state, plans with milestones (done, in progress,
overdue), and a closed campaign of last year; plus the county's investment projects with one
open duplicate-signing flag. The finance bureau of the demo users (fn-clerk, fn-leader) has a
returned report and an open plan, so the clerk has work on login; 黑山嘴镇 files nothing.

Everything goes through rectification.services. The services stamp "now" on what they do, so
where the story needs a past moment (a launch 40 days ago, a report submitted before its
deadline, a milestone completed last week) the row is written by the service first and its
timestamps are then moved back with a queryset update (marked "Backdate" below); the audit
trail records those updates too.

Idempotent: a campaign is looked up by title and, when it exists, left as it is; investment
projects are keyed by name; the agencies' demo leaders by username.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone
from stdnum.cn import uscc

from accounts import services as account_services
from accounts.choices import Role
from accounts.models import Agency, User
from domains.models import KeyDomain, ProblemType
from supervision.models import Complaint

from . import services
from .choices import FilingKind, FlagStatus, IssueStatus
from .models import (
    Campaign,
    DuplicateFlag,
    Filing,
    FilingVersion,
    InvestmentProject,
    LedgerIssue,
    Milestone,
    MilestoneUpdate,
    Participation,
)

SIR = FilingKind.SELF_INSPECTION_REPORT
PLAN = FilingKind.RECTIFICATION_PLAN
REPORT = FilingKind.RECTIFICATION_REPORT

DOMAINS = [
    "government_procurement",
    "ppp",
    "bidding",
    "investment_attraction",
    "government_investment",
    "government_debt",
]
DEPARTMENTS = [
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
TOWNSHIPS = [
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
]
# 24 of the county's 40 agencies take part.
PARTICIPANTS = [*DEPARTMENTS, "经济开发区管委会", "新丰路街道办", *TOWNSHIPS]
MISSING = "黑山嘴镇"  # files nothing: the office's grid shows it missing


def enterprise_code(serial: int) -> str:
    """A checksum-valid credit code of a company registered in 丰宁 (GB 32100: 9 = market
    regulation, 1 = company; check character computed)."""
    body = f"91130826MA0{serial:06d}"
    return body + uscc.calc_check_digit(body)


# Creditor enterprises of the arrears (fictitious), with their SME flag.
CREDITORS = [
    ("丰宁满族自治县宏达建筑工程有限公司", True),
    ("承德恒通商贸有限公司", True),
    ("丰宁县绿源农业科技有限公司", True),
    ("河北坝上草原物流有限公司", True),
    ("丰宁满族自治县鑫泰建材有限公司", True),
    ("承德市诚信办公设备有限公司", True),
    ("丰宁县润丰电力安装有限公司", True),
    ("承德瑞祥信息技术有限公司", True),
    ("丰宁满族自治县金山市政工程有限公司", False),
    ("承德华盛园林绿化工程有限公司", True),
    ("丰宁满族自治县顺达运输有限公司", True),
    ("丰宁县博远广告传媒有限公司", True),
    ("承德天诚工程造价咨询有限公司", True),
    ("丰宁满族自治县兴农供水工程有限公司", False),
]

# Arrears: creditor index, contract, accepted (days ago), term, owed, repayments (days ago,
# amount).
ARREARS = {
    "A1": (0, "保障房配套道路施工合同", 210, 30, "2860000.00", [(150, "800000.00")]),
    "A2": (1, "办公设备采购合同", 120, 30, "186500.00", []),
    "A3": (2, "高标准农田土壤检测服务合同", 95, 60, "78000.00", [(20, "30000.00")]),
    "A4": (3, "应急物资运输服务合同", 160, 30, "45600.50", [(100, "45600.50")]),
    "A5": (4, "乡村道路建材采购合同", 240, 30, "932000.00", [(180, "300000"), (60, "200000")]),
    "A6": (5, "政务大厅办公家具采购合同", 80, 30, "126340.00", [(30, "126340.00")]),
    "A7": (6, "产业园区供电线路改造合同", 300, 60, "1580000.00", [(200, "500000.00")]),
    "A8": (7, "信用信息平台运维服务合同", 70, 30, "98000.00", [(25, "98000.00")]),
    "A9": (8, "污水管网改造工程合同", 400, 60, "4350000.00", [(300, "1000000.00")]),
    "A10": (9, "城区绿化养护服务合同", 130, 30, "265800.00", [(90, "100000"), (40, "165800")]),
    "A11": (10, "垃圾清运服务合同", 45, 30, "56780.00", []),
    "A12": (11, "招商推介宣传制作合同", 110, 30, "38650.00", [(50, "20000.00")]),
    "A13": (12, "政府投资项目造价审核合同", 190, 30, "142300.00", [(120, "142300.00")]),
    "A14": (13, "农村饮水安全工程合同", 260, 60, "2175000.00", [(150, "1000000.00")]),
}

# Ledger issues by agency: domain, problem type (name prefix), problem, status (P pending,
# I in progress, R rectified, C closed, B sent back by the office), deadline (days from today;
# None: the campaign's completion deadline), arrears key, source (S self-inspection,
# C complaint, I supervision inspection, A audit).
GP, PPP, BID, INV, GI, DEBT = DOMAINS
ISSUES = {
    "县财政局": [
        (GP, "拖欠", "办公设备采购款逾期未付", "P", -8, "A2", "S"),
        (DEBT, "履职", "政府债务信息公开延迟", "I", None, None, "A"),
        (GP, "拖欠", "政务大厅家具采购款逾期支付", "R", None, "A6", "S"),
        (PPP, "政策", "PPP 项目可行性缺口补助未按期拨付", "C", None, None, "I"),
        (GI, "履职", "预算评审超期", "P", 20, None, "S"),
    ],
    "县住建局": [
        (GI, "拖欠", "保障房配套道路工程款拖欠", "I", -10, "A1", "C"),
        (GI, "拖欠", "污水管网改造工程款未结清", "P", -3, "A9", "I"),
        (BID, "履职", "招标文件设置不合理资质条件", "R", None, None, "I"),
        (GP, "拖欠", "绿化养护服务费逾期支付", "C", None, "A10", "S"),
    ],
    "县商务局": [
        (INV, "政策", "招商协议约定的设备补贴未兑现", "I", -5, None, "I"),
        (INV, "拖欠", "招商推介宣传制作费拖欠", "P", None, "A12", "S"),
        (INV, "新官", "前任签订的厂房租金减免协议未履行", "B", None, None, "C"),
    ],
    "县发改局": [
        (PPP, "政策", "PPP 项目绩效考核结果未及时应用", "C", None, None, "S"),
        (GI, "拖欠", "项目造价审核费逾期支付", "C", None, "A13", "A"),
        (GI, "履职", "项目超概算未及时报批", "R", None, None, "A"),
    ],
    "经济开发区管委会": [
        (INV, "政策", "入园企业税收返还承诺未兑现", "I", None, None, "C"),
        (GI, "拖欠", "园区供电线路改造工程款拖欠", "P", -12, "A7", "I"),
        (INV, "新官", "管委会换届后土地出让承诺未落实", "P", None, None, "S"),
    ],
    "县工信局": [
        (GP, "拖欠", "信用平台运维费逾期支付", "C", None, "A8", "S"),
        (INV, "政策", "技改奖补资金未按期拨付", "I", None, None, "S"),
    ],
    "县审计局": [
        (GP, "履职", "审计发现问题整改跟踪不到位", "R", None, None, "S"),
        (DEBT, "履职", "债务风险预警报告报送延迟", "C", None, None, "S"),
    ],
    "县自然资源和规划局": [
        (GI, "拖欠", "高标准农田土壤检测费拖欠", "I", None, "A3", "S"),
        (BID, "履职", "土地整理项目招标信息公开不及时", "P", None, None, "I"),
    ],
    "县金融办": [(DEBT, "履职", "融资平台债务台账更新不及时", "I", None, None, "S")],
    "县人社局": [(GP, "拖欠", "培训服务费逾期支付", "R", None, None, "C")],
    "县税务局": [(INV, "政策", "招商引资税费优惠政策解读不到位", "C", None, None, "S")],
    "县政务服务管理办": [(BID, "履职", "公共资源交易平台信用信息未共享", "P", None, None, "I")],
    "县人民政府办公室": [(DEBT, "履职", "政务诚信建设工作推进不力", "I", None, None, "I")],
    "新丰路街道办": [
        (GP, "拖欠", "垃圾清运服务费拖欠", "I", -2, "A11", "C"),
        (GI, "履职", "老旧小区改造项目验收迟缓", "R", None, None, "S"),
    ],
    "大阁镇": [
        (GI, "拖欠", "乡村道路建材款拖欠", "I", None, "A5", "S"),
        (GP, "履职", "政府采购项目验收履职不到位", "P", -6, None, "I"),
        (INV, "新官", "前任班子承诺的厂房配套设施未建设", "P", None, None, "C"),
    ],
    "凤山镇": [
        (GI, "拖欠", "农村饮水安全工程款拖欠", "I", None, "A14", "I"),
        (INV, "政策", "合同约定的招商奖励未兑现", "C", None, None, "C"),
    ],
    "黄旗镇": [
        (GP, "拖欠", "应急物资运输费逾期支付", "C", None, "A4", "I"),
        (DEBT, "履职", "镇级债务统计不完整", "R", None, None, "S"),
    ],
    "土城镇": [(PPP, "政策", "污水处理 PPP 项目付费延迟", "P", None, None, "S")],
    "大滩镇": [(INV, "新官", "前任签订的旅游开发协议未履行", "I", None, None, "I")],
    "胡麻营镇": [(GP, "履职", "采购合同备案不及时", "C", None, None, "S")],
    "鱼儿山镇": [(BID, "履职", "小额工程未按规定比选", "P", -4, None, "A")],
    "天桥镇": [(GI, "履职", "村级项目资金拨付滞后", "R", None, None, "S")],
    "波罗诺镇": [(GP, "拖欠", "取暖煤采购款拖欠", "P", None, None, "S")],
    "黑山嘴镇": [(GI, "履职", "村内道路项目未按期完工", "P", None, None, "I")],
}
# Problems of a unit under the agency rather than the agency itself.
SUBJECTS = {
    "污水管网改造工程款未结清": "县城市建设服务中心",
    "绿化养护服务费逾期支付": "县园林绿化中心",
}
SOURCES = {"S": "self_inspection", "C": "complaint", "I": "inspection", "A": "audit"}
PEOPLE = ["王建国", "李海峰", "张丽华", "刘志强", "赵晓东", "孙明", "周玉梅", "吴振宇", "郑国庆"]

SECTIONS = {
    SIR: {
        "overview": "<p>根据县信用办通知，本单位成立自查工作专班，对照六个重点领域逐项排查"
        "政务失信问题，覆盖近三年签订的合同、作出的政策承诺和应付未付款项。</p>",
        "causes": "<p>一是资金预算安排不足，二是合同履约管理不到位，三是新老班子交接时"
        "承诺事项移交不完整。</p>",
        "measures": "<ul><li>建立问题清单、责任清单、整改清单</li><li>拖欠款项列入预算优先"
        "清偿</li><li>每周调度整改进度</li></ul>",
        "next_steps": "<p>建立合同履约台账和承诺事项跟踪机制，防止问题反弹。</p>",
    },
    PLAN: {
        "goals": "<p>本次专项治理结束前，问题清单所列事项全部整改到位，拖欠中小企业账款"
        "应清尽清。</p>",
        "work_plan": "<p>分动员部署、集中整改、验收销号三个阶段推进，各阶段明确责任科室"
        "和完成时限。</p>",
        "measures": "<p>逐项制定整改措施：拖欠款项制定还款计划并按月支付；政策承诺逐项"
        "兑现；履职问题约谈责任人。</p>",
        "safeguards": "<p>主要负责人牵头抓总，分管负责人具体落实，纪检监察全程监督。</p>",
    },
    REPORT: {
        "overview": "<p>按照整改方案，各项整改任务已按时间节点推进。</p>",
        "results": "<p>问题清单所列事项已整改完成，拖欠款项全部清偿，相关支付凭证已归档。</p>",
        "outstanding": "<p>无。</p>",
        "next_steps": "<p>巩固整改成果，纳入年度政务诚信考核。</p>",
    },
}

# Milestones: agency → (title, due in days from today, owner, progress reports (days ago, %)).
MILESTONES = {
    "县财政局": [
        ("完成拖欠款项核对并制定还款计划", -15, "国库股 张丽华", [(20, 50), (14, 100)]),
        ("拖欠办公设备款首期支付", -3, "采购办 李海峰", [(6, 30)]),
        ("政府债务信息公开制度修订", 25, "债务股 刘志强", [(4, 40), (1, 60)]),
    ],
    "县住建局": [
        ("保障房配套道路工程款清偿方案报批", -2, "计财股 赵晓东", [(5, 70)]),
        ("污水管网改造工程结算审计", 30, "城建股 孙明", []),
    ],
    "县发改局": [
        ("PPP 项目绩效考核结果应用", -12, "投资股 周玉梅", [(15, 100)]),
        ("造价审核费清偿", -9, "办公室 吴振宇", [(10, 100)]),
        ("超概算项目补报审批", 20, "投资股 郑国庆", [(3, 50)]),
    ],
    "县商务局": [
        ("设备补贴兑现资金申请", -4, "外经股 王建国", [(8, 20)]),
    ],
    "县审计局": [
        ("审计整改跟踪台账建立", 10, "法规股 李海峰", [(2, 80)]),
    ],
    "县工信局": [
        ("技改奖补资金拨付", 15, "企业股 张丽华", [(6, 40)]),
    ],
    "新丰路街道办": [
        ("垃圾清运服务费清偿", -1, "财政所 刘志强", [(3, 100)]),
        ("老旧小区改造项目验收", 18, "城建办 赵晓东", []),
    ],
}

# Filings of the running campaign. A history entry is one version sent to the office:
# (submitted days ago, outcome "accepted" / "returned" / None, reviewed days ago). "state" is
# where the filing stands after its history: "sent" (with the office or decided), "draft",
# "sent_back" (the leader sent it back to the clerk) or "awaiting" (with the leader).
RETURN_COMMENT = "问题成因分析不够具体，请按领域补充拖欠款项明细及还款计划后重新报送。"
FILINGS = {
    "县财政局": {
        SIR: ("sent", [(22, "returned", 2)], RETURN_COMMENT),
        PLAN: ("draft", [], ""),
    },
    "大阁镇": {SIR: ("sent_back", [], "")},
    "县住建局": {
        SIR: ("sent", [(12, None, None)], ""),
        PLAN: ("awaiting", [], ""),
    },
    "县商务局": {
        SIR: ("sent", [(23, "returned", 21), (16, None, None)], RETURN_COMMENT),
        PLAN: ("draft", [], ""),
    },
    "县发改局": {
        SIR: ("sent", [(25, "accepted", 19)], ""),
        PLAN: ("sent", [(8, "accepted", 6)], ""),
        REPORT: ("sent", [(1, None, None)], ""),
    },
    "经济开发区管委会": {SIR: ("sent", [(21, None, None)], "")},
    "县自然资源和规划局": {SIR: ("awaiting", [], "")},
    "县审计局": {
        SIR: ("sent", [(24, "accepted", 18)], ""),
        PLAN: ("sent", [(7, None, None)], ""),
    },
    "县工信局": {
        SIR: ("sent", [(26, "accepted", 19)], ""),
        PLAN: ("sent", [(2, None, None)], ""),  # after the plan deadline: late
    },
    "新丰路街道办": {
        SIR: ("sent", [(23, "accepted", 17)], ""),
        PLAN: ("sent", [(9, "accepted", 7)], ""),
    },
    # Two reports reached the office after the deadline and were accepted all the same.
    "土城镇": {SIR: ("sent", [(15, "accepted", 12)], "")},
    "县人社局": {SIR: ("sent", [(11, "accepted", 9)], "")},
}
# Everyone else filed the self-inspection report on time and had it accepted, and filed the
# plan on time too: accepted (every other agency) or still with the office.
DEFAULT_FILINGS = [
    {SIR: ("sent", [(22, "accepted", 16)], ""), PLAN: ("sent", [(8, "accepted", 4)], "")},
    {SIR: ("sent", [(21, "accepted", 15)], ""), PLAN: ("sent", [(6, None, None)], "")},
]
DEFAULT_MILESTONES = [
    ("建立问题整改台账", -10, "办公室", [(12, 100)]),
    ("问题整改全面完成", 45, "分管负责人", [(2, 40)]),
]

PROJECTS = [
    # agency, name, investor, investor serial, signed (days ago), amount, industry, location
    (
        "经济开发区管委会",
        "年产5万吨精品饲料加工项目",
        "河北坝上牧业科技有限公司",
        501,
        210,
        "120000000.00",
        "农副食品加工",
        "丰宁经济开发区",
    ),
    # The same investor signed with the commerce bureau too: the office sees an open flag.
    (
        "县商务局",
        "坝上牧业生态饲料生产基地",
        "河北坝上牧业科技有限公司",
        501,
        95,
        "150000000.00",
        "农副食品加工",
        "土城镇",
    ),
    (
        "县发改局",
        "丰宁抽水蓄能电站配套产业园",
        "承德丰能新能源开发有限公司",
        502,
        300,
        "680000000.00",
        "能源",
        "四岔口乡",
    ),
    # A near-identical name of another investor: flagged, then dismissed by the office.
    (
        "县工信局",
        "丰宁抽水蓄能电站配套产业园二期",
        "河北冀能电力装备有限公司",
        503,
        60,
        "260000000.00",
        "装备制造",
        "四岔口乡",
    ),
    (
        "大阁镇",
        "坝上草原民宿集群",
        "丰宁满族自治县草原人家文化旅游有限公司",
        504,
        150,
        "35000000.00",
        "文化旅游",
        "大阁镇",
    ),
    (
        "凤山镇",
        "有机杂粮精深加工",
        "承德凤山谷物食品有限公司",
        505,
        75,
        "42000000.00",
        "农副食品加工",
        "凤山镇",
    ),
    (
        "县商务局",
        "县域冷链物流中心",
        "河北坝上草原物流有限公司",
        4,  # also a creditor in the ledgers (CREDITORS[3]): the same code
        40,
        "58000000.00",
        "物流",
        "丰宁经济开发区",
    ),
]


def _at(days_ago: int, hour: int = 10) -> datetime.datetime:
    day = timezone.localdate() - datetime.timedelta(days=days_ago)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def seed(fengning) -> None:
    office = User.objects.get(username="fn-office")
    staff = User.objects.get(username="fn-staff")
    agency = {a.name: a for a in Agency.objects.filter(tenant=fengning)}
    leaders = _leaders(fengning, agency)
    clerks = {
        "县财政局": User.objects.get(username="fn-clerk"),
        "大阁镇": User.objects.get(username="fn-clerk2"),
    }
    actors = {"office": office, "staff": staff, "leaders": leaders, "clerks": clerks}
    _running_campaign(fengning, agency, actors)
    _closed_campaign(fengning, agency, actors)
    _projects(fengning, agency, leaders, staff)


def _leaders(tenant, agency) -> dict[str, User]:
    """A leader account for each participating agency (县财政局 has fn-leader): sign-off is
    theirs alone. Usernames follow the list order: fn-leader01 …"""
    from accounts.management.commands.seed_demo import DEMO_PASSWORD

    leaders = {"县财政局": User.objects.get(username="fn-leader")}
    for index, name in enumerate(PARTICIPANTS, start=1):
        if name in leaders:
            continue
        username = f"fn-leader{index:02d}"
        user = User.objects.filter(username=username).first()
        if user is None:
            user = account_services.user_create(
                data={
                    "username": username,
                    "display_name": f"{name}负责人",
                    "role": Role.AGENCY_LEADER,
                    "tenant": tenant,
                    "agency": agency[name],
                    "email": "",
                },
                password=DEMO_PASSWORD,
                actor=None,
            )
            # Demo accounts log in with the printed password (as seed_demo's own users do).
            user.must_change_password = False
            user.save(update_fields=["must_change_password"])
        leaders[name] = user
    return leaders


# The running campaign ---------------------------------------------------------------------------


def _running_campaign(tenant, agency, actors) -> None:
    today = timezone.localdate()
    year = today.year
    title = f"{year}年政务诚信专项治理"
    if Campaign.objects.filter(tenant=tenant, title=title).exists():
        return
    staff = actors["staff"]
    campaign = services.campaign_save(
        tenant=tenant,
        actor=staff,
        data={
            "title": title,
            "document_number": f"丰信用办〔{year}〕3号",
            "year": year,
            "description": "各单位对照六个重点领域开展自查自纠，建立问题清单和整改台账，"
            "拖欠民营企业、中小企业账款应清尽清。",
            "report_deadline": today - datetime.timedelta(days=20),
            "plan_deadline": today - datetime.timedelta(days=5),
            "completion_deadline": today + datetime.timedelta(days=55),
            "domains": [KeyDomain.objects.get(tenant=tenant, code=code) for code in DOMAINS],
            "agencies": [agency[name] for name in PARTICIPANTS],
        },
    )
    campaign = services.campaign_launch(campaign=campaign, actor=staff)
    # Backdate: the campaign was launched 40 days ago and the agencies notified then.
    launched = _at(40, 9)
    Campaign.objects.filter(pk=campaign.pk).update(launched_at=launched)
    Participation.objects.filter(campaign=campaign).update(notified_at=launched)
    campaign.refresh_from_db()

    rows = [(name, row) for name, items in ISSUES.items() for row in items]
    for number, (name, row) in enumerate(rows):
        _issue(campaign, agency[name], _preparer(name, actors), actors["staff"], number, row)
    for index, name in enumerate(PARTICIPANTS):
        if name == MISSING:
            continue
        filings = FILINGS.get(name) or DEFAULT_FILINGS[index % 2]
        items = MILESTONES.get(name, [] if name in FILINGS else DEFAULT_MILESTONES)
        _milestones(campaign, agency[name], _preparer(name, actors), items)
        for kind, spec in filings.items():
            _filing(campaign, agency[name], kind, spec, actors)


def _preparer(name: str, actors) -> User:
    """Who prepares the agency's filings: its clerk when the demo has one, else its leader."""
    return actors["clerks"].get(name) or actors["leaders"][name]


def _issue(campaign, unit, actor, office, number, row) -> LedgerIssue:
    domain, problem, text, status, deadline, arrears, source = row
    today = timezone.localdate()
    subject = SUBJECTS.get(text)
    discovered = today - datetime.timedelta(days=38 - number % 20)
    due = today + datetime.timedelta(days=deadline) if deadline is not None else None
    data = {
        "domain": KeyDomain.objects.get(tenant=campaign.tenant, code=domain),
        "problem_type": ProblemType.objects.filter(
            tenant=campaign.tenant, name__startswith=problem
        ).first(),
        "subject_name": subject or unit.name,
        "subject_credit_code": "" if subject else unit.credit_code,
        "description": f"{text}。",
        "responsible_person": PEOPLE[number % len(PEOPLE)],
        "cause": "资金预算安排不足，合同履约跟踪不到位。",
        "handling_opinion": "限期整改，明确责任人和完成时限。",
        "source": SOURCES[source],
        "discovered_on": min(discovered, due) if due else discovered,
        "deadline": due or campaign.completion_deadline,
        "status": IssueStatus.IN_PROGRESS if status in "IB" else IssueStatus.PENDING,
        "extra": {},
    }
    repayments = []
    if arrears:
        creditor, contract, accepted, term, owed, repayments = ARREARS[arrears]
        creditor_name, is_sme = CREDITORS[creditor]
        data.update(
            creditor_name=creditor_name,
            creditor_credit_code=enterprise_code(creditor + 1),
            creditor_is_sme=is_sme,
            contract=contract,
            accepted_on=today - datetime.timedelta(days=accepted),
            payment_term_days=term,
            amount_owed=Decimal(owed),
        )
    complaint = None
    if source == "C" and unit.name == "县住建局":
        complaint = Complaint.objects.filter(
            tenant=campaign.tenant,
            agency=unit,
            verification__in=("founded", "partly_founded"),
            ledger_issue__isnull=True,
        ).first()
    if complaint is not None:
        issue = services.issue_from_complaint(
            complaint=complaint, campaign=campaign, data=data, actor=actor
        )
    else:
        issue = services.issue_create(campaign=campaign, agency=unit, data=data, actor=actor)
    for days_ago, amount in repayments:
        services.repayment_add(
            issue=issue,
            data={
                "paid_on": today - datetime.timedelta(days=days_ago),
                "amount": Decimal(amount),
                "note": "国库集中支付",
            },
            actor=actor,
        )
    if status in "RCB":
        services.issue_report_rectified(
            issue=issue,
            note="已按整改要求完成，相关凭证已上传归档。",
            rectified_on=today - datetime.timedelta(days=3 + number % 7),
            actor=actor,
        )
    if status == "C":
        services.issue_verify(
            issue=issue, close=True, note="经核实整改到位，予以销号。", actor=office
        )
    elif status == "B":
        services.issue_verify(
            issue=issue,
            close=False,
            note="未提供协议履行凭证，请补充后重新报送。",
            actor=office,
        )
    return issue


def _milestones(campaign, unit, actor, items) -> None:
    today = timezone.localdate()
    for title, due, owner, reports in items:
        milestone = services.milestone_save(
            campaign=campaign,
            agency=unit,
            data={"title": title, "due_on": today + datetime.timedelta(days=due), "owner": owner},
            actor=actor,
        )
        for days_ago, progress in reports:
            update = services.milestone_report(
                milestone=milestone,
                note="已完成" if progress == 100 else f"正在推进，完成约 {progress}%。",
                progress=progress,
                actor=actor,
            )
            # Backdate: the progress was reported days ago (and the milestone done then).
            MilestoneUpdate.objects.filter(pk=update.pk).update(created_at=_at(days_ago, 15))
            if progress == 100:
                Milestone.objects.filter(pk=milestone.pk).update(
                    completed_on=today - datetime.timedelta(days=days_ago)
                )


def _filing(campaign, unit, kind, spec, actors) -> Filing:
    state, history, comment = spec
    clerk = _preparer(unit.name, actors)
    leader = actors["leaders"][unit.name]
    office = actors["office"]
    filing = services.filing_get_or_create(campaign=campaign, agency=unit, kind=kind, actor=clerk)
    sections = dict(SECTIONS[kind])
    if state == "draft" and not history:
        # Work in progress: the last sections are still to be written.
        keys = list(sections)[:2]
        sections = {key: sections[key] for key in keys}
    services.filing_save(filing=filing, sections=sections, actor=clerk)
    for index, (_sent, outcome, _reviewed) in enumerate(history):
        if index:
            revised = {
                key: html
                + ("<p>（已按县信用办意见补充拖欠款项明细。）</p>" if key == "causes" else "")
                for key, html in SECTIONS[kind].items()
            }
            services.filing_save(filing=filing, sections=revised, actor=clerk)
        services.filing_request_signoff(filing=filing, actor=clerk)
        services.filing_sign_off(filing=filing, actor=leader, comment="同意上报。")
        if outcome is not None:
            services.filing_review(
                filing=filing,
                accept=outcome == "accepted",
                comment="" if outcome == "accepted" else comment,
                actor=office,
            )
    if state in ("awaiting", "sent_back"):
        services.filing_request_signoff(filing=filing, actor=clerk)
    if state == "sent_back":
        services.filing_send_back_to_clerk(
            filing=filing, actor=leader, comment="请补充各领域问题数量和整改时限后再报。"
        )
    if history:
        _backdate_filing(filing, history)
    return filing


def _backdate_filing(filing: Filing, history) -> None:
    """Backdate: the versions reached the office and were reviewed on the days of the story;
    lateness is judged against the deadline as sign-off would have judged it then."""
    deadline = filing.deadline
    for number, (sent, _outcome, reviewed) in enumerate(history, start=1):
        FilingVersion.objects.filter(filing=filing, number=number).update(
            submitted_at=_at(sent),
            is_late=_at(sent).date() > deadline,
            reviewed_at=_at(reviewed, 16) if reviewed is not None else None,
        )
    first, last = history[0], history[-1]
    Filing.objects.filter(pk=filing.pk).update(
        first_submitted_at=_at(first[0]),
        is_late=_at(first[0]).date() > deadline,
        submitted_at=_at(last[0]),
        accepted_at=_at(last[2], 16) if last[1] == "accepted" else None,
    )


# Last year's closed campaign --------------------------------------------------------------------


def _closed_campaign(tenant, agency, actors) -> None:
    year = timezone.localdate().year - 1
    title = f"{year}年清理拖欠企业账款专项行动"
    if Campaign.objects.filter(tenant=tenant, title=title).exists():
        return
    staff, office = actors["staff"], actors["office"]
    names = ["县财政局", "县住建局", "县发改局", "大阁镇"]
    campaign = services.campaign_save(
        tenant=tenant,
        actor=staff,
        data={
            "title": title,
            "document_number": f"丰信用办〔{year}〕6号",
            "year": year,
            "description": "全面清理政府部门拖欠民营企业、中小企业账款。",
            "report_deadline": datetime.date(year, 5, 31),
            "plan_deadline": datetime.date(year, 6, 30),
            "completion_deadline": datetime.date(year, 10, 31),
            "domains": [
                KeyDomain.objects.get(tenant=tenant, code=code)
                for code in ("government_procurement", "government_investment")
            ],
            "agencies": [agency[name] for name in names],
        },
    )
    campaign = services.campaign_launch(campaign=campaign, actor=staff)
    procurement = KeyDomain.objects.get(tenant=tenant, code="government_procurement")
    arrears_type = ProblemType.objects.filter(tenant=tenant, name__startswith="拖欠").first()
    for index, name in enumerate(names):
        unit, actor = agency[name], _preparer(name, actors)
        owed = Decimal("52000.00") + Decimal("18500.00") * index
        creditor, is_sme = CREDITORS[(index + 3) % len(CREDITORS)]
        issue = services.issue_create(
            campaign=campaign,
            agency=unit,
            actor=actor,
            data={
                "domain": procurement,
                "problem_type": arrears_type,
                "subject_name": unit.name,
                "subject_credit_code": unit.credit_code,
                "description": "采购合同款项逾期未付。",
                "responsible_person": PEOPLE[index],
                "source": "self_inspection",
                "discovered_on": datetime.date(year, 4, 20),
                "deadline": datetime.date(year, 9, 30),
                "creditor_name": creditor,
                "creditor_credit_code": enterprise_code((index + 3) % len(CREDITORS) + 1),
                "creditor_is_sme": is_sme,
                "contract": "办公用品及设备采购合同",
                "accepted_on": datetime.date(year - 1, 11, 15),
                "payment_term_days": 30,
                "amount_owed": owed,
                "extra": {},
            },
        )
        services.repayment_add(
            issue=issue,
            data={"paid_on": datetime.date(year, 7, 10), "amount": owed, "note": "全额清偿"},
            actor=actor,
        )
        services.issue_report_rectified(
            issue=issue,
            note="款项已全额支付。",
            rectified_on=datetime.date(year, 7, 10),
            actor=actor,
        )
        services.issue_verify(issue=issue, close=True, note="核实无误，予以销号。", actor=staff)
        LedgerIssue.objects.filter(pk=issue.pk).update(
            closed_at=timezone.make_aware(datetime.datetime(year, 7, 20, 10))
        )
        milestone = services.milestone_save(
            campaign=campaign,
            agency=unit,
            data={
                "title": "拖欠款项全额清偿",
                "due_on": datetime.date(year, 7, 31),
                "owner": "计财股",
            },
            actor=actor,
        )
        services.milestone_report(
            milestone=milestone, note="已全额支付。", progress=100, actor=actor
        )
        Milestone.objects.filter(pk=milestone.pk).update(completed_on=datetime.date(year, 7, 10))
        for kind, day in ((SIR, (5, 25)), (PLAN, (6, 25)), (REPORT, (10, 28))):
            filing = services.filing_get_or_create(
                campaign=campaign, agency=unit, kind=kind, actor=actor
            )
            services.filing_save(filing=filing, sections=SECTIONS[kind], actor=actor)
            services.filing_request_signoff(filing=filing, actor=actor)
            services.filing_sign_off(filing=filing, actor=actors["leaders"][name], comment="")
            services.filing_review(filing=filing, accept=True, comment="", actor=office)
            # Backdate: submitted before last year's deadlines, accepted a few days later.
            submitted = timezone.make_aware(datetime.datetime(year, *day, 10))
            accepted = submitted + datetime.timedelta(days=3)
            FilingVersion.objects.filter(filing=filing).update(
                submitted_at=submitted, is_late=False, reviewed_at=accepted
            )
            Filing.objects.filter(pk=filing.pk).update(
                first_submitted_at=submitted,
                submitted_at=submitted,
                is_late=False,
                accepted_at=accepted,
            )
    services.campaign_close(campaign=campaign, actor=staff)
    # Backdate: launched in April and closed in November of last year.
    Campaign.objects.filter(pk=campaign.pk).update(
        launched_at=timezone.make_aware(datetime.datetime(year, 4, 10, 9)),
        closed_at=timezone.make_aware(datetime.datetime(year, 11, 15, 9)),
    )
    Participation.objects.filter(campaign=campaign).update(
        notified_at=timezone.make_aware(datetime.datetime(year, 4, 10, 9))
    )


# Investment projects (M7) ------------------------------------------------------------------------


def _projects(tenant, agency, leaders, staff) -> None:
    today = timezone.localdate()
    for name, project, investor, serial, signed, amount, industry, location in PROJECTS:
        if InvestmentProject.objects.filter(tenant=tenant, name=project).exists():
            continue
        services.project_save(
            agency=agency[name],
            actor=leaders.get(name),
            data={
                "name": project,
                "investor_name": investor,
                "investor_credit_code": enterprise_code(serial),
                "signed_on": today - datetime.timedelta(days=signed),
                "amount": Decimal(amount),
                "industry": industry,
                "location": location,
                "commitments": "按协议兑现土地、税收等支持政策。",
                "status": "signed" if signed < 100 else "started",
            },
        )
    # The office has checked the near-identical names: a second phase, not a double signing.
    similar = DuplicateFlag.objects.filter(
        tenant=tenant, reason="similar_name", status=FlagStatus.OPEN
    ).first()
    if similar is not None:
        services.flag_decide(
            flag=similar,
            status=FlagStatus.DISMISSED,
            note="二期项目，投资主体不同，非重复签约。",
            actor=staff,
        )
