"""What a new county starts with: the key domains, problem types and publicity rules of the
seeds and of the national rules. Offices edit all of it."""

from datetime import date

from .choices import Severity

KEY_DOMAINS = [
    # code, name, active, description
    (
        "government_procurement",
        "政府采购",
        True,
        "政府采购领域政务诚信：采购人依法履约，及时支付采购资金，不拖欠中小企业款项。",
    ),
    (
        "ppp",
        "政府和社会资本合作",
        True,
        "PPP 领域政务诚信：按合同约定履约，明确各阶段政府方责任人，实行责任回溯。",
    ),
    (
        "bidding",
        "招标投标",
        True,
        "招标投标领域政务诚信：信用信息公开共享，应用信用记录或第三方信用评价报告。",
    ),
    (
        "investment_attraction",
        "招商引资",
        True,
        "招商引资领域政务诚信：依法作出政策承诺，严格兑现，建立一体化台账避免重复签约。",
    ),
    (
        "government_investment",
        "政府投资项目",
        True,
        "政府投资项目领域政务诚信：不得要求施工单位垫资，严控超概算，按进度拨付资金。",
    ),
    (
        "government_debt",
        "政府债务",
        True,
        "政府债务领域政务诚信：依法举债，建立风险评估和预警机制，按时偿还。",
    ),
    (
        "township",
        "街道和乡镇政务诚信",
        False,
        "部分省份以街道和乡镇政务诚信替代政府投资项目领域，可按需启用。",
    ),
]

PROBLEM_TYPES = [
    (
        "拖欠民营企业、中小企业账款",
        "政府部门及所属单位拖欠民营企业、中小企业的工程款、物资采购款等。",
    ),
    ("新官不理旧账", "因换届、领导人员更替等原因违约毁约、拒不履行承诺。"),
    ("政策承诺和合同契约失信违约", "不兑现依法作出的政策承诺，不履行依法订立的各类合同。"),
    ("履职尽责不到位", "政府部门及工作人员不作为、乱作为、慢作为等。"),
]

# National credit-repair rules in force since 2026-04-01 (NDRC Order 36), see DOMAIN.md.
NDRC_36_EFFECTIVE = date(2026, 4, 1)
PUBLICITY_RULES = [
    # severity, published by default, minimum months, maximum months
    (Severity.LIGHT, False, 0, 3),
    (Severity.GENERAL, True, 3, 12),
    (Severity.SERIOUS, True, 12, 36),
]
# Stored as data on the rule (not a UI string): what the office sees in its own language.
PUBLICITY_BASIS = "国家发展改革委第36号令（2026年4月1日起施行）"
