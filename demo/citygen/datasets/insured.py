"""市人力资源和社会保障局 社保参保单位: one XLSX sheet, merged title row, header on row 2,
real date and number cells, and a merged notes row directly below the data."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from citygen import codes
from citygen import defects as d
from citygen.dataset import DatasetOutput, DeliveredFile
from citygen.defects import Defect, Record
from citygen.writers import write_xlsx

PATH = "rsj/shebao_canbao_danwei_202506.xlsx"
SHEET = "参保单位"
HEADER_ROW = 2
HEADERS = ["序号", "单位名称", "统一社会信用代码", "所属区县代码", "参保人数", "缴费基数合计(元)", "参保日期"]
COLUMNS = {  # 序号 (running number) is delivered but not part of the contract
    "单位名称": "employer_name",
    "统一社会信用代码": "uscc",
    "所属区县代码": "district_code",
    "参保人数": "insured_count",
    "缴费基数合计(元)": "contribution_base_total",
    "参保日期": "insured_on",
}
BASE_ROWS = 300
KINDS = ["有限公司", "股份有限公司", "商贸有限公司", "科技有限公司", "实业有限公司", "医院", "学校", "服务中心"]


def _employer(rng: random.Random, used: set[str]) -> Record:
    district = rng.choice(list(codes.CURRENT_DISTRICTS))
    insured_on = codes.random_date(rng, dt.date(2003, 1, 1), dt.date(2025, 6, 27))
    while True:
        uscc = codes.make_uscc(rng, codes.code_in_force(district, insured_on.year))
        if uscc not in used:
            used.add(uscc)
            break
    large = rng.random() < 0.05  # a few large employers (hospitals, shipyards)
    staff = rng.randint(1000, 6000) if large else int(rng.lognormvariate(3.2, 1.0)) + 1
    average_base = rng.randint(4_500, 12_000)
    return Record({
        "单位名称": f"南通{rng.choice(codes.TRADE_NAMES)}{rng.choice(codes.TRADE_NAMES)}{rng.choice(KINDS)}",
        "统一社会信用代码": uscc,
        "所属区县代码": district,
        "参保人数": staff,
        "缴费基数合计(元)": round(staff * average_base + rng.randint(0, 99) / 100, 2),
        "参保日期": insured_on,
    })


def _as_text(header: str, defect: str, make) -> d.Mutator:
    def mutate(record: Record, rng: random.Random) -> Defect:
        clean = record.values[header]
        record.values[header] = make(clean, rng)
        expected = clean.isoformat() if isinstance(clean, dt.date) else str(clean)
        return Defect(defect, header, record.values[header], expected)
    return mutate


def _retired(record: Record, rng: random.Random) -> Defect:
    clean = record.values["所属区县代码"]
    year = record.values["参保日期"].year
    options = [c for c, (_, succ, last) in codes.RETIRED_DISTRICTS.items() if succ == clean and year <= last]
    record.values["所属区县代码"] = rng.choice(options)
    return Defect("retired_code", "所属区县代码", record.values["所属区县代码"], clean)


def _old(record: Record) -> bool:
    return codes.code_in_force(record.values["所属区县代码"], record.values["参保日期"].year) != record.values["所属区县代码"]


def _future(record: Record, rng: random.Random) -> Defect:
    record.values["参保日期"] = record.values["参保日期"].replace(year=2052)
    return Defect("future_date", "参保日期", record.values["参保日期"].isoformat(), detail="year mistyped")


def _change_staff(values: dict, rng: random.Random) -> str:
    values["参保人数"] += rng.randint(1, 9)
    return "参保人数"


def build(rng: random.Random, out_dir: Path) -> DatasetOutput:
    used: set[str] = set()
    records = [_employer(rng, used) for _ in range(BASE_ROWS)]
    d.inject(records, rng, 6, d.whitespace("单位名称"))
    d.inject(records, rng, 6, _as_text("缴费基数合计(元)", "thousands_separator", lambda v, r: d.with_thousands(v, 2)))
    d.inject(records, rng, 3, _as_text("参保人数", "thousands_separator", lambda v, r: f"{v:,}"), lambda r: r.values["参保人数"] >= 1000)
    d.inject(records, rng, 3, _as_text("参保人数", "fullwidth", lambda v, r: d.fullwidth_digits(str(v))))
    d.inject(records, rng, 8, _as_text("参保日期", "date_format", lambda v, r: d.date_variant(v, r)))
    d.inject(records, rng, 5, _retired, _old)
    d.inject(records, rng, 5, d.set_value("bad_check_digit", "统一社会信用代码", lambda v, r: codes.corrupt_uscc(v)))
    d.inject(records, rng, 3, d.missing("参保人数", None))
    d.inject(records, rng, 2, d.missing("单位名称", None))
    d.inject(records, rng, 3, _future)
    d.inject(records, rng, 3, d.set_value("out_of_range", "参保人数", lambda v, r: 0,
                                          "no insured staff: the contract's minimum is a warning"))
    d.add_key_duplicates(records, rng, 3, ["统一社会信用代码"], _change_staff)
    d.add_exact_duplicates(records, rng, 3)

    notes = Record({h: None for h in HEADERS})
    notes.values["序号"] = "注：1. 数据截至2025年6月30日；2. 参保人数为当月实际缴费人数；3. 缴费基数合计单位为元。"
    notes.defects.append(Defect("notes_row", None, notes.values["序号"], detail="notes row below the data"))
    for number, record in enumerate(records, start=1):
        record.values["序号"] = number
    records.append(notes)

    d.number_rows(records, [(PATH, len(records))])
    widths = {"单位名称": 34, "统一社会信用代码": 22, "缴费基数合计(元)": 18, "参保日期": 12, "序号": 7}
    write_xlsx(out_dir / PATH, SHEET, "南通市社会保险参保单位名册（2025年6月）", HEADERS, records, widths)
    files = [DeliveredFile(PATH, "xlsx", header_row=HEADER_ROW, sheet=SHEET)]
    return DatasetOutput("insured_employers", "社保参保单位", "市人力资源和社会保障局", COLUMNS, records, files)
