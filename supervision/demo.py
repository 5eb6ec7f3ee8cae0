"""Demo data for supervision inputs (called by `manage.py seed_demo`; idempotent: complaints
are keyed by subject, items by number, the evaluation by title)."""

from datetime import date, timedelta

from django.utils import timezone

from accounts.models import Agency, User

from . import services
from .choices import ComplaintStatus
from .models import (
    Complaint,
    DebtorListing,
    EvaluationAssignment,
    Judgment,
    JudicialSuggestion,
    LitigationCase,
    Proposal,
)


def seed(fengning):
    staff = User.objects.get(username="fn-staff")
    clerk = User.objects.get(username="fn-clerk")
    evaluator = User.objects.get(username="evaluator")
    agency = {a.name: a for a in Agency.objects.filter(tenant=fengning)}
    today = timezone.localdate()
    _complaints(fengning, agency, staff, clerk, today)
    _items(fengning, agency, today)
    _evaluation(fengning, agency, staff, evaluator, today)


COMPLAINTS = [
    # subject, agency, channel, status to reach, verification
    ("县住建局拖欠保障房工程款", "县住建局", "hotline_12345", ComplaintStatus.CLOSED, "founded"),
    (
        "招商补贴迟迟不兑现",
        "经济开发区管委会",
        "website",
        ComplaintStatus.VERIFIED,
        "partly_founded",
    ),
    ("采购货款逾期未付", "县财政局", "letter", ComplaintStatus.REPLIED, ""),
    ("乡镇拖欠工程尾款", "大阁镇", "hotline_961890", ComplaintStatus.ASSIGNED, ""),
    ("政务服务窗口推诿", "县政务服务管理办", "visit", ComplaintStatus.RECEIVED, ""),
    ("合同约定奖励未兑现", "凤山镇", "website", ComplaintStatus.CLOSED, "unfounded"),
]


def _complaints(tenant, agency, staff, clerk, today):
    for number, (title, agency_name, channel, target, verification) in enumerate(COMPLAINTS):
        if Complaint.objects.filter(tenant=tenant, title=title).exists():
            continue
        data = {
            "agency": agency[agency_name],
            "title": title,
            "content": f"{title}，请有关部门核实处理。",
            "amount": "120000.00",
            "complainant_name": "赵先生",
            "complainant_phone": f"1393141{number:04d}",
            "received_on": today - timedelta(days=30 - number),
        }
        if channel == "website":
            complaint = services.complaint_submit(tenant=tenant, data=data)
        else:
            complaint = services.complaint_log(
                tenant=tenant, actor=staff, data={**data, "channel": channel}
            )
        if target == ComplaintStatus.RECEIVED:
            continue
        services.complaint_assign(complaint=complaint, actor=staff)
        if target == ComplaintStatus.ASSIGNED:
            continue
        services.complaint_reply(
            complaint=complaint, actor=clerk, reply="经查，相关款项已列入支付计划，正在办理。"
        )
        if target == ComplaintStatus.REPLIED:
            continue
        services.complaint_verify(
            complaint=complaint,
            verification=verification,
            note="经县信用办核实，情况基本属实。"
            if verification != "unfounded"
            else "经核实，所反映问题不属实。",
            actor=staff,
        )
        if target == ComplaintStatus.CLOSED:
            services.complaint_close(
                complaint=complaint,
                actor=staff,
                public_reply="您反映的问题已核实处理，感谢您的监督。",
            )


def _items(tenant, agency, today):
    year = today.year
    rows = [
        (
            Proposal,
            {
                "agency": agency["县财政局"],
                "kind": "npc_suggestion",
                "number": f"{year}-人大-015",
                "title": "关于加快清偿中小企业账款的建议",
                "assigned_on": date(year, 3, 20),
                "replied_on": date(year, 5, 30),
                "satisfaction": "satisfied",
            },
        ),
        (
            Proposal,
            {
                "agency": agency["县商务局"],
                "kind": "cppcc_proposal",
                "number": f"{year}-政协-042",
                "title": "关于规范招商引资承诺的提案",
                "assigned_on": date(year, 3, 25),
                "replied_on": date(year, 7, 10),
                "satisfaction": "basically_satisfied",
            },
        ),
        (
            LitigationCase,
            {
                "agency": agency["县自然资源和规划局"],
                "case_number": f"({year})冀0826行初12号",
                "court": "丰宁满族自治县人民法院",
                "cause": "土地行政征收",
                "hearing_date": date(year, 6, 18),
                "head_appeared": True,
            },
        ),
        (
            LitigationCase,
            {
                "agency": agency["县住建局"],
                "case_number": f"({year})冀0826行初19号",
                "court": "丰宁满族自治县人民法院",
                "cause": "房屋征收补偿",
                "hearing_date": date(year, 8, 5),
                "head_appeared": False,
            },
        ),
        (
            Judgment,
            {
                "agency": agency["县住建局"],
                "kind": "judgment",
                "case_number": f"({year})冀0826民初233号",
                "authority": "丰宁满族自治县人民法院",
                "effective_on": date(year, 4, 1),
                "due_on": date(year, 5, 1),
                "amount": "860000.00",
            },
        ),
        (
            JudicialSuggestion,
            {
                "agency": agency["县财政局"],
                "number": f"丰法司建〔{year}〕3号",
                "court": "丰宁满族自治县人民法院",
                "received_on": date(year, 5, 8),
                "due_on": date(year, 6, 8),
                "answered_on": date(year, 6, 1),
            },
        ),
        (
            DebtorListing,
            {
                "agency": agency["县住建局"],
                "case_number": f"({year})冀0826执88号",
                "court": "丰宁满族自治县人民法院",
                "listed_on": date(year, 6, 20),
                "amount": "860000.00",
            },
        ),
    ]
    key = {
        Proposal: "number",
        LitigationCase: "case_number",
        Judgment: "case_number",
        JudicialSuggestion: "number",
        DebtorListing: "case_number",
    }
    for model, data in rows:
        if not model.objects.filter(tenant=tenant, **{key[model]: data[key[model]]}).exists():
            services.item_save(model=model, tenant=tenant, data=data, actor=None)


def _evaluation(tenant, agency, staff, evaluator, today):
    title = f"{today.year}年度政务诚信第三方评价"
    if EvaluationAssignment.objects.filter(tenant=tenant, title=title).exists():
        return
    chosen = [agency[n] for n in ("县财政局", "县住建局", "大阁镇", "凤山镇")]
    assignment = services.assignment_save(
        tenant=tenant,
        actor=staff,
        data={
            "evaluator": evaluator,
            "title": title,
            "period_start": date(today.year, 1, 1),
            "period_end": date(today.year, 12, 31),
            "agencies": chosen,
        },
    )
    for item, score in zip(chosen[:3], ("92.50", "71.00", "85.00"), strict=True):
        scored = services.score_submit(
            assignment=assignment,
            agency=item,
            score=score,
            comments="依据问卷调查与资料核查评分。",
            actor=evaluator,
        )
        if item.name != "大阁镇":
            services.score_decide(score=scored, accept=True, reason="", actor=staff)
