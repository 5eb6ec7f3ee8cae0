"""Demo data for key domains and credit records (called by `manage.py seed_demo`).

Idempotent: records are keyed by decision document number, commitments by title, notices by
document number, list entries by title; existing ones are left as they are.
"""

from datetime import date, timedelta

from django.utils import timezone

from accounts.models import Agency, User

from . import services
from .choices import CommitmentStatus, RequestKind, RequestOutcome
from .models import (
    CaseNotice,
    Commitment,
    FourListEntry,
    JointMeasure,
    KeyDomain,
    ProblemType,
    TrustRecord,
)


def _domain(tenant, code):
    return KeyDomain.objects.get(tenant=tenant, code=code)


def _problem(tenant, prefix):
    return ProblemType.objects.filter(tenant=tenant, name__startswith=prefix).first()


def _record(tenant, actor, number, **data):
    existing = TrustRecord.objects.filter(tenant=tenant, decision_number=number).first()
    if existing:
        return existing, False
    is_public = data.pop("is_public", None)
    record = services.record_create(
        tenant=tenant, data={"decision_number": number, **data}, actor=actor, is_public=is_public
    )
    return record, True


def seed(fengning, longhua):
    staff = User.objects.get(username="fn-staff")
    office = User.objects.get(username="fn-office")
    agency = {a.name: a for a in Agency.objects.filter(tenant=fengning)}
    today = timezone.localdate()

    arrears, _ = _record(
        fengning,
        staff,
        "丰财罚〔2026〕3号",
        subject_type="agency",
        agency=agency["县住建局"],
        domain=_domain(fengning, "government_investment"),
        problem_type=_problem(fengning, "拖欠"),
        source="administrative_penalty",
        severity="serious",
        facts="县住建局拖欠承德某建筑公司（民营中小企业）保障房项目工程款 286 万元，"
        "经多次催告逾期 400 余天仍未支付。",
        deciding_authority="丰宁满族自治县人民政府",
        decision_date=date(2026, 5, 12),
        punishment_end=date(2027, 5, 11),
    )
    if arrears.measures.count() == 0:
        services.measure_add(
            record=arrears,
            data={
                "measure_type": "written_warning",
                "date": date(2026, 5, 15),
                "issuing_body": "县社会信用体系建设领导小组办公室",
                "note": "责令限期清偿欠款。",
            },
            actor=staff,
        )
        services.measure_add(
            record=arrears,
            data={
                "measure_type": "honour_removal",
                "date": date(2026, 5, 20),
                "issuing_body": "县人民政府",
                "note": "取消本年度评先评优资格。",
            },
            actor=staff,
        )
    _record(
        fengning,
        staff,
        "丰发改函〔2026〕18号",
        subject_type="agency",
        agency=agency["县商务局"],
        domain=_domain(fengning, "investment_attraction"),
        problem_type=_problem(fengning, "政策"),
        source="inspection",
        severity="general",
        facts="招商引资协议约定的设备补贴 45 万元未按期兑现。",
        deciding_authority="县发改局",
        decision_date=today - timedelta(days=40),
    )
    _record(
        fengning,
        staff,
        "丰纪〔2026〕7号",
        subject_type="civil_servant",
        agency=agency["大阁镇"],
        subject_name="李建国",
        person_id_number="130826197805121239",
        person_position="副镇长",
        domain=_domain(fengning, "government_procurement"),
        problem_type=_problem(fengning, "履职"),
        source="discipline",
        severity="general",
        facts="李建国在政府采购项目验收中履职不到位，致使采购资金延迟支付 95 天。",
        deciding_authority="县纪委监委",
        decision_date=date(2026, 7, 3),
    )
    _record(
        fengning,
        staff,
        "丰审〔2026〕21号",
        subject_type="agency",
        agency=agency["县财政局"],
        domain=_domain(fengning, "government_debt"),
        problem_type=_problem(fengning, "履职"),
        source="inspection",
        severity="light",
        facts="政府债务信息公开不及时，延迟 10 天公布。",
        deciding_authority="县审计局",
        decision_date=today - timedelta(days=20),
    )
    _record(
        fengning,
        staff,
        "(2026)冀0826执512号",
        subject_type="state_enterprise",
        subject_name="丰宁满族自治县城市建设投资有限公司",
        subject_credit_code="91130826MA0D7K3X1U",
        domain=_domain(fengning, "ppp"),
        problem_type=_problem(fengning, "政策"),
        source="judgment_debtor",
        severity="serious",
        facts="未履行生效判决确定的 PPP 项目付款义务，被列为失信被执行人。",
        deciding_authority="丰宁满族自治县人民法院",
        decision_date=date(2026, 8, 18),
    )

    # One revoked after an objection.
    wrong, created = _record(
        fengning,
        staff,
        "丰政督〔2026〕9号",
        subject_type="agency",
        agency=agency["黄旗镇"],
        domain=_domain(fengning, "government_procurement"),
        problem_type=_problem(fengning, "拖欠"),
        source="inspection",
        severity="general",
        facts="督查发现拖欠办公用品供应商货款 3.2 万元。",
        deciding_authority="县政府督查室",
        decision_date=today - timedelta(days=60),
    )
    if created:
        objection = services.request_submit(
            record=wrong,
            kind=RequestKind.OBJECTION,
            data={
                "applicant_name": "黄旗镇人民政府",
                "applicant_phone": "0314-8012345",
                "applicant_is_subject": True,
                "reason": "该笔货款已于督查前结清，附银行回单。",
            },
        )
        services.request_decide(
            request=objection,
            outcome=RequestOutcome.REVOKED,
            reason="经核实，货款已于督查前支付，记录有误，予以撤销。",
            actor=office,
        )
    # One repaired.
    repaired, created = _record(
        fengning,
        staff,
        "丰财罚〔2025〕11号",
        subject_type="agency",
        agency=agency["县发改局"],
        domain=_domain(fengning, "ppp"),
        problem_type=_problem(fengning, "政策"),
        source="administrative_penalty",
        severity="general",
        facts="PPP 项目可行性缺口补助延迟支付 5 个月。",
        deciding_authority="县财政局",
        decision_date=date(2026, 4, 20),
    )
    if created:
        repair = services.request_submit(
            record=repaired,
            kind=RequestKind.REPAIR,
            data={
                "applicant_name": "县发改局",
                "applicant_phone": "0314-8023456",
                "applicant_is_subject": True,
                "reason": "补助已全额支付，并签署信用承诺书。",
                "declares_corrected": True,
                "declares_commitment": True,
                "declares_other": True,
            },
        )
        services.request_decide(
            request=repair,
            outcome=RequestOutcome.REPAIRED,
            reason="已履行义务并作出信用承诺。",
            actor=office,
            confirmed={
                "confirmed_corrected": True,
                "confirmed_commitment": True,
                "confirmed_other": True,
            },
            stop_sharing=True,
        )
    # A pending objection, so the "under objection" flag shows.
    general = TrustRecord.objects.get(tenant=fengning, decision_number="丰发改函〔2026〕18号")
    if not general.requests.exists():
        services.request_submit(
            record=general,
            kind=RequestKind.OBJECTION,
            data={
                "applicant_name": "张明",
                "applicant_phone": "13831412345",
                "reason": "补贴已部分兑现，金额认定有误。",
            },
        )

    _commitments(fengning, agency, staff, today)
    if not CaseNotice.objects.filter(
        tenant=fengning, document_number="丰信用办〔2026〕2号"
    ).exists():
        notice = services.notice_save(
            tenant=fengning,
            data={
                "title": "关于政务失信典型案例的通报",
                "document_number": "丰信用办〔2026〕2号",
                "body": "县住建局拖欠民营企业工程款、大阁镇副镇长李建国履职不到位等问题，"
                "经查属实，现予通报。各单位要引以为戒，切实加强政务诚信建设。",
                "records": [
                    arrears,
                    TrustRecord.objects.get(tenant=fengning, decision_number="丰纪〔2026〕7号"),
                ],
            },
            actor=staff,
        )
        services.notice_publish(notice=notice, actor=office)
    _lists(fengning)

    _record(
        longhua,
        None,
        "隆政罚〔2026〕2号",
        subject_type="agency",
        agency=Agency.objects.get(tenant=longhua, name="县财政局"),
        domain=_domain(longhua, "government_debt"),
        problem_type=_problem(longhua, "拖欠"),
        source="administrative_penalty",
        severity="serious",
        facts="拖欠中小企业物业服务费 58 万元。",
        deciding_authority="隆化县人民政府",
        decision_date=date(2026, 6, 2),
    )


def _commitments(tenant, agency, staff, today):
    items = [
        (
            "县政务服务管理办",
            "service_quality",
            "企业开办一个工作日内办结",
            "企业开办全流程一个工作日内办结，超时由窗口负责人说明原因。",
            today + timedelta(days=90),
            CommitmentStatus.IN_PROGRESS,
            "",
        ),
        (
            "县财政局",
            "deadline",
            "中小企业款项 30 日内支付",
            "政府采购合同验收后 30 日内支付中小企业款项。",
            date(2026, 6, 30),
            CommitmentStatus.FULFILLED,
            "2026 年上半年 126 笔款项均在 30 日内支付。",
        ),
        (
            "经济开发区管委会",
            "investment_policy",
            "落实招商引资设备补贴政策",
            "对 2025 年签约的 3 个项目按协议兑现设备补贴。",
            date(2026, 9, 30),
            CommitmentStatus.UNFULFILLED,
            "截至期限仍有 1 个项目补贴未兑现。",
        ),
        (
            "大阁镇",
            "township_service",
            "便民服务中心全年无休",
            "镇便民服务中心节假日安排值班，群众事项当日受理。",
            today + timedelta(days=30),
            CommitmentStatus.IN_PROGRESS,
            "",
        ),
    ]
    for agency_name, category, title, content, promised, status, note in items:
        if Commitment.objects.filter(tenant=tenant, title=title).exists():
            continue
        commitment = services.commitment_create(
            agency=agency[agency_name],
            data={
                "category": category,
                "title": title,
                "content": content,
                "promised_date": promised,
                "fulfilment_evidence": note if status == CommitmentStatus.FULFILLED else "",
            },
            actor=staff,
        )
        if status != CommitmentStatus.IN_PROGRESS:
            services.commitment_set_status(
                commitment=commitment, status=status, note=note, actor=staff
            )
        if status == CommitmentStatus.UNFULFILLED:
            data = services.commitment_breach_initial(commitment)
            data.update(
                domain=_domain(tenant, "investment_attraction"),
                problem_type=_problem(tenant, "政策"),
                severity="general",
                decision_number="丰信用办认〔2026〕5号",
                deciding_authority="县信用办",
                decision_date=date(2026, 10, 15),
            )
            services.commitment_record_breach(commitment=commitment, data=data, actor=staff)


def _lists(tenant):
    joint = [
        ("punishment", "取消参加各类荣誉评选资格", "县委组织部", "评先评优", "干部科", "王科长"),
        ("punishment", "通报商业银行审慎发放贷款", "县金融办", "融资信贷", "金融服务股", "刘股长"),
        ("reward", "项目投资优先支持", "县发改局", "政府投资项目安排", "投资股", "赵股长"),
    ]
    for position, (direction, measure, dept, matter, section, person) in enumerate(joint):
        if not JointMeasure.objects.filter(tenant=tenant, measure=measure).exists():
            services.joint_measure_save(
                tenant=tenant,
                actor=None,
                data={
                    "direction": direction,
                    "measure": measure,
                    "department": dept,
                    "administrative_matter": matter,
                    "business_section": section,
                    "responsible_person": person,
                    "position": position,
                },
            )
    four = [
        ("typical_cases", "县财政局按期支付中小企业款项", "2026 年上半年款项支付零逾期。"),
        ("serious_dishonesty", "拒不履行生效判决的政府部门", "被列为失信被执行人的政府部门。"),
        ("incentives", "诚信单位优先安排试点", "在改革试点、项目投资等方面给予优惠。"),
        ("punishments", "取消评优资格", "存在政务失信记录的单位取消当年评优资格。"),
    ]
    for position, (kind, title, description) in enumerate(four):
        if not FourListEntry.objects.filter(tenant=tenant, title=title).exists():
            services.four_list_entry_save(
                tenant=tenant,
                actor=None,
                data={
                    "list_kind": kind,
                    "title": title,
                    "description": description,
                    "position": position,
                },
            )
