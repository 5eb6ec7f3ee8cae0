"""The default scheme a county starts from, after DOMAIN.md's table modelled on the seeds
(offices tune the points). Names are data in Chinese, as offices write them."""

from decimal import Decimal

from .choices import CategoryKind, Method

DEFAULT_GRADES = [
    {"label": "优秀", "min": 90},
    {"label": "良好", "min": 80},
    {"label": "一般", "min": 60},
    {"label": "较差", "min": 0},
]

# (code, name, kind, points/cap, [(code, name, method, calculator, points, params)])
DEFAULT_SCHEME = [
    (
        "campaign",
        "专项治理",
        CategoryKind.REGULAR,
        30,
        [
            (
                "report_on_time",
                "自查自纠报告按时报送",
                Method.COMPUTED,
                "self_inspection_on_time",
                10,
                {},
            ),
            ("issues_closed", "问题整改销号率", Method.COMPUTED, "issues_closed", 10, {}),
            (
                "milestones_on_time",
                "整改时间节点按期完成率",
                Method.COMPUTED,
                "milestones_on_time",
                10,
                {},
            ),
        ],
    ),
    (
        "promises",
        "守信践诺",
        CategoryKind.REGULAR,
        30,
        [
            ("arrears_cleared", "拖欠企业账款清偿率", Method.COMPUTED, "arrears_cleared", 15, {}),
            ("commitments", "信用承诺履约率", Method.COMPUTED, "commitments_fulfilled", 10, {}),
            ("no_breach", "无政策承诺和合同违约失信", Method.MANUAL, "", 5, {"default": "full"}),
        ],
    ),
    (
        "lawful",
        "依法行政和司法监督",
        CategoryKind.REGULAR,
        15,
        [
            ("court", "行政机关负责人出庭应诉", Method.COMPUTED, "court_appearance", 4, {}),
            (
                "judgments",
                "生效判决和仲裁裁决按期履行",
                Method.COMPUTED,
                "judgments_executed",
                4,
                {},
            ),
            ("suggestions", "司法建议按期反馈", Method.COMPUTED, "suggestions_answered", 3, {}),
            ("no_debtor", "未被列为失信被执行人", Method.COMPUTED, "no_debtor_listing", 4, {}),
        ],
    ),
    (
        "supervision",
        "民主监督和社会监督",
        CategoryKind.REGULAR,
        15,
        [
            (
                "proposals_on_time",
                "人大代表建议政协提案按期办复",
                Method.COMPUTED,
                "proposals_on_time",
                5,
                {},
            ),
            (
                "proposals_satisfied",
                "建议提案办理满意率",
                Method.COMPUTED,
                "proposals_satisfaction",
                3,
                {},
            ),
            (
                "complaints_on_time",
                "投诉举报按期回复",
                Method.COMPUTED,
                "complaints_replied_on_time",
                4,
                {},
            ),
            (
                "complaints_founded",
                "投诉举报查实情况",
                Method.COMPUTED,
                "founded_complaints",
                3,
                {"per_item": 1},
            ),
        ],
    ),
    (
        "third_party",
        "第三方评价",
        CategoryKind.REGULAR,
        10,
        [("evaluation", "第三方机构评价得分", Method.COMPUTED, "third_party", 10, {})],
    ),
    (
        "deductions",
        "扣分项",
        CategoryKind.DEDUCTION,
        20,
        [
            (
                "records",
                "政务失信记录",
                Method.COMPUTED,
                "records_by_severity",
                20,
                {"light": 1, "general": 3, "serious": 5},
            )
        ],
    ),
    (
        "bonus",
        "加分项",
        CategoryKind.BONUS,
        5,
        [("typical_cases", "诚信典型案例", Method.MANUAL, "", 5, {"default": "zero"})],
    ),
]


def as_decimal(value) -> Decimal:
    return Decimal(str(value))
