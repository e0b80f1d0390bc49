"""The bureau's KPIs: identifier, Chinese label, unit and formula (README "KPIs" says the same).

Identifiers are what `ybz kpi --json` and the inventory's `targets` use; labels and formulas are
what the report prints.
"""

from __future__ import annotations

from dataclasses import dataclass

RATIO, SCORE, COUNT, DAYS = "ratio", "score", "count", "days"

# 授权运营指数: weights of its components (README "授权运营指数").
AO_WEIGHTS = {"coverage": 0.4, "utilization": 0.4, "efficiency": 0.2}
AO_DECISION_DAYS = 15  # a licence application decided within this many days counts as efficient


@dataclass(frozen=True)
class KpiDefinition:
    id: str
    label: str
    unit: str  # ratio (0..1) | score (0..100) | count | days
    formula: str
    higher_is_better: bool = True


DEFINITIONS: tuple[KpiDefinition, ...] = (
    KpiDefinition("registration_rate", "一本账登记率", RATIO,
                  "资源清单中登记并审核通过（已审核/已发布）的资源数 ÷ 资源清单资源数"),
    KpiDefinition("aggregation_rate", "应归尽归率", RATIO,
                  "资源清单中已有数据入账（至少一次成功入账）的资源数 ÷ 资源清单资源数"),
    KpiDefinition("high_value_supply_rate", "高使用价值数据供给率", RATIO,
                  "高使用价值资源中已入账、未逾期更新且最近质量得分不低于阈值的资源数 ÷ 高使用价值资源数"),
    KpiDefinition("timeliness_rate", "更新及时率", RATIO,
                  "在用资源（已审核/已发布、更新周期非不定期）中未逾期更新的资源数 ÷ 此类资源数"),
    KpiDefinition("quality_score", "平均质量得分", SCORE,
                  "在用资源最近一次评分的综合得分（GB/T 36344 各维度）的平均值"),
    KpiDefinition("tickets_open", "未关闭问题工单", COUNT, "截至当日未关闭的问题工单数", False),
    KpiDefinition("tickets_overdue", "逾期问题工单", COUNT, "未关闭且已超过整改期限的问题工单数", False),
    KpiDefinition("ticket_close_days", "工单平均关闭时长（天）", DAYS,
                  "已关闭工单（核验关闭或例外关闭）从开立到关闭的平均天数", False),
    KpiDefinition("requests", "共享与授权申请数", COUNT, "截至当日提交的共享申请与授权运营申请数"),
    KpiDefinition("grants", "授权数", COUNT, "截至当日获批的申请数（含提交即授权）"),
    KpiDefinition("approval_days", "平均审批时长（天）", DAYS,
                  "需审批的申请（先同意后审批）从提交到批准的平均天数", False),
    KpiDefinition("authorized_operation_index", "授权运营指数", SCORE,
                  "100 ×（0.4 × 纳入率 + 0.4 × 使用率 + 0.2 × 审批效率）；无已决申请时审批效率不计，其余权重按比例放大"),
)
BY_ID = {d.id: d for d in DEFINITIONS}
KPI_IDS = set(BY_ID)
# Shown with a target and a gauge in the report (the others are counts of work).
HEADLINE = ("registration_rate", "aggregation_rate", "high_value_supply_rate", "timeliness_rate",
            "quality_score", "authorized_operation_index")
DEFAULT_TARGETS = {"registration_rate": 0.95, "aggregation_rate": 0.9, "high_value_supply_rate": 0.9,
                   "timeliness_rate": 0.95, "quality_score": 90.0, "authorized_operation_index": 60.0}
