"""市住房和城乡建设局 房屋建筑: one UTF-8 CSV of the building survey (房屋建筑普查) with
areas in square metres and the owner's USCC, checked only as a warning."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from citygen import codes
from citygen import defects as d
from citygen.dataset import DatasetOutput, DeliveredFile
from citygen.defects import Defect, Record
from citygen.writers import write_csv

PATH = "zjj/fangwu_jianzhu_2025.csv"
COLUMNS = {
    "建筑编码": "building_id",
    "建筑地址": "address",
    "所属区县代码": "district_code",
    "结构类型": "structure",
    "地上层数": "floors_above",
    "地下层数": "floors_below",
    "建筑面积(平方米)": "floor_area",
    "建成年份": "built_year",
    "竣工验收日期": "accepted_on",
    "产权单位统一社会信用代码": "owner_uscc",
}
STRUCTURES = ["钢筋混凝土结构"] * 6 + ["砖混结构"] * 3 + ["钢结构", "砖木结构", "其他结构"]
BASE_ROWS = 400


def _building(rng: random.Random, number: int) -> Record:
    district = rng.choice(list(codes.CURRENT_DISTRICTS))
    built = rng.randint(1975, 2024)
    structure = rng.choice(STRUCTURES)
    floors = rng.randint(1, 3) if structure in ("砖木结构", "其他结构") else rng.choice([2, 3, 5, 6, 6, 11, 18, 26, 33])
    accepted = codes.random_date(rng, dt.date(built, 1, 1), min(dt.date(built, 12, 31), dt.date(2025, 6, 29)))
    return Record({
        "建筑编码": f"{district}{number:08d}",
        "建筑地址": codes.address(rng, district),
        "所属区县代码": district,
        "结构类型": structure,
        "地上层数": str(floors),
        "地下层数": str(rng.choice([0, 0, 1, 1, 2]) if floors > 6 else 0),
        "建筑面积(平方米)": f"{floors * rng.uniform(180, 1400):.2f}",
        "建成年份": str(built),
        "竣工验收日期": accepted.isoformat(),
        "产权单位统一社会信用代码": codes.make_uscc(rng, codes.code_in_force(district, built)),
    })


def _old(record: Record) -> bool:
    year = int(record.values["竣工验收日期"][:4])
    return codes.code_in_force(record.values["所属区县代码"], year) != record.values["所属区县代码"]


def _retired(record: Record, rng: random.Random) -> Defect:
    clean = record.values["所属区县代码"]
    record.values["所属区县代码"] = codes.code_in_force(clean, int(record.values["竣工验收日期"][:4]))
    return Defect("retired_code", "所属区县代码", record.values["所属区县代码"], clean)


def _thousands(record: Record, rng: random.Random) -> Defect:
    clean = record.values["建筑面积(平方米)"]
    record.values["建筑面积(平方米)"] = d.with_thousands(float(clean), 2)
    return Defect("thousands_separator", "建筑面积(平方米)", record.values["建筑面积(平方米)"], clean)


def _date_variant(record: Record, rng: random.Random) -> Defect:
    clean = record.values["竣工验收日期"]
    record.values["竣工验收日期"] = d.date_variant(dt.date.fromisoformat(clean), rng)
    return Defect("date_format", "竣工验收日期", record.values["竣工验收日期"], clean)


def _future(record: Record, rng: random.Random) -> Defect:
    day = dt.date.fromisoformat(record.values["竣工验收日期"])
    record.values["竣工验收日期"] = day.replace(year=2052 if day.month != 2 or day.day != 29 else 2056).isoformat()
    return Defect("future_date", "竣工验收日期", record.values["竣工验收日期"], detail="year mistyped")


def _change_area(values: dict, rng: random.Random) -> str:
    values["建筑面积(平方米)"] = f"{float(values['建筑面积(平方米)']) + rng.randint(10, 200):.2f}"
    return "建筑面积(平方米)"


def build(rng: random.Random, out_dir: Path) -> DatasetOutput:
    records = [_building(rng, n) for n in rng.sample(range(1, 99_999_999), BASE_ROWS)]
    def has_letter(r) -> bool:
        return any(c.isalpha() for c in r.values["产权单位统一社会信用代码"])
    d.inject(records, rng, 6, d.whitespace("建筑地址"))
    d.inject(records, rng, 8, _thousands, lambda r: float(r.values["建筑面积(平方米)"]) >= 1000)
    d.inject(records, rng, 3, d.fullwidth("地上层数"))
    d.inject(records, rng, 8, _date_variant)
    d.inject(records, rng, 5, _retired, _old)
    d.inject(records, rng, 3, d.lowercase("产权单位统一社会信用代码"), has_letter)
    d.inject(records, rng, 3, d.missing("建筑地址"))
    d.inject(records, rng, 4, d.bad_enum("结构类型", ["框架", "混合结构", "钢混", "砼结构"]))
    d.inject(records, rng, 3, _future)
    d.inject(records, rng, 5, d.set_value("bad_check_digit", "产权单位统一社会信用代码", lambda v, r: codes.corrupt_uscc(v),
                                          "owner code is not a key: the contract's check is a warning", d.FLAG))
    d.inject(records, rng, 3, d.set_value("out_of_range", "建成年份", lambda v, r: r.choice(["1800", "2205", "199"]),
                                          "built year outside 1900-2025 (warning)"))
    d.add_key_duplicates(records, rng, 3, ["建筑编码"], _change_area)
    d.add_exact_duplicates(records, rng, 4)
    d.number_rows(records, [(PATH, len(records))])

    write_csv(out_dir / PATH, list(COLUMNS), records, encoding="utf-8")
    files = [DeliveredFile(PATH, "csv", encoding="utf-8", line_end="LF")]
    return DatasetOutput("buildings", "房屋建筑", "市住房和城乡建设局", COLUMNS, records, files)
