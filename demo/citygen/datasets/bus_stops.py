"""市交通运输局 公交站点: one UTF-8 CSV with BOM (an Excel "CSV UTF-8" export), one row per
stop on a line, key (站点编号, 线路编号); one stray blank line in the middle."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from citygen import codes
from citygen import defects as d
from citygen.dataset import DatasetOutput, DeliveredFile
from citygen.defects import Defect, Record
from citygen.writers import write_csv

PATH = "jtysj/gongjiao_zhandian.csv"
COLUMNS = {
    "站点编号": "stop_id",
    "站点名称": "stop_name",
    "线路编号": "line_no",
    "站序": "stop_seq",
    "经度": "lon",
    "纬度": "lat",
    "所属区县代码": "district_code",
    "启用日期": "opened_on",
    "无障碍设施": "accessible",
}
# Rough centres (GCJ-02) of the districts, so stops sit where their district is.
CENTRES = {
    "320613": (120.894, 32.011), "320612": (121.073, 32.065), "320614": (121.181, 31.871),
    "320623": (121.186, 32.309), "320681": (121.657, 31.808), "320682": (120.574, 32.371),
    "320685": (120.467, 32.533),
}
STOP_WORDS = ["小区", "路口", "医院", "中学", "小学", "公园", "广场", "市场", "新村", "花园", "站", "大桥",
              "汽车站", "体育馆", "商城", "社区", "工业园", "镇政府"]
LINES = 32


def _stops(rng: random.Random) -> list[dict]:
    stops = []
    for number in range(1, 221):
        district = rng.choice(list(CENTRES))
        lon, lat = CENTRES[district]
        road = rng.choice(codes.ROADS + [road for _, road in codes.TOWNS[district]])
        stops.append({
            "站点编号": f"NT{number:05d}",
            "站点名称": f"{road}{rng.choice(codes.TRADE_NAMES)}{rng.choice(STOP_WORDS)}",
            "经度": f"{lon + rng.uniform(-0.06, 0.06):.6f}",
            "纬度": f"{lat + rng.uniform(-0.05, 0.05):.6f}",
            "所属区县代码": district,
            "无障碍设施": rng.choice(["是", "是", "否"]),
        })
    return stops


def _date_variant(record: Record, rng: random.Random) -> Defect:
    clean = record.values["启用日期"]
    record.values["启用日期"] = d.date_variant(dt.date.fromisoformat(clean), rng)
    return Defect("date_format", "启用日期", record.values["启用日期"], clean)


def _off_map(record: Record, rng: random.Random) -> Defect:
    header = rng.choice(["经度", "纬度"])
    record.values[header] = rng.choice(["0.000000", "-1.000000", "999.000000"]) if header == "纬度" else \
        rng.choice(["0.000000", "12.094512", "1209.451200"])
    return Defect("out_of_range", header, record.values[header], detail="outside the city bounding box (warning)")


def _move_stop(values: dict, rng: random.Random) -> str:
    values["站序"] = str(int(values["站序"]) + 1)
    return "站序"


def build(rng: random.Random, out_dir: Path) -> DatasetOutput:
    stops = _stops(rng)
    records = []
    for line in range(1, LINES + 1):
        line_no = rng.choice(["", "", "K", "Y"]) + str(rng.choice([line, 100 + line, 600 + line]))
        opened = codes.random_date(rng, dt.date(2008, 1, 1), dt.date(2025, 5, 31))
        for seq, stop in enumerate(rng.sample(stops, rng.randint(9, 16)), start=1):
            records.append(Record({**stop, "线路编号": line_no, "站序": str(seq), "启用日期": opened.isoformat()}))
    assert len({(r.values["站点编号"], r.values["线路编号"]) for r in records}) == len(records)

    d.inject(records, rng, 6, d.whitespace("站点名称"))
    d.inject(records, rng, 4, d.fullwidth("站序"), lambda r: int(r.values["站序"]) >= 10)
    d.inject(records, rng, 6, _date_variant)
    d.inject(records, rng, 4, d.missing("站点名称"))
    d.inject(records, rng, 4, d.bad_enum("无障碍设施", ["有", "无", "Y", "1"]))
    d.inject(records, rng, 5, _off_map)
    d.add_key_duplicates(records, rng, 4, ["站点编号", "线路编号"], _move_stop)
    d.add_exact_duplicates(records, rng, 6)
    d.number_rows(records, [(PATH, len(records))])

    blank_after = len(records) // 3
    write_csv(out_dir / PATH, list(COLUMNS), records, encoding="utf-8", bom=True, blank_after={blank_after})
    files = [DeliveredFile(PATH, "csv", encoding="utf-8", bom=True, line_end="LF", blank_lines=[blank_after + 2])]
    return DatasetOutput("bus_stops", "公交站点", "市交通运输局", COLUMNS, records, files)
