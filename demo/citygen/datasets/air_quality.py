"""市生态环境局 空气质量小时数据: one UTF-8 CSV export of the hourly station feed, key
(站点编码, 监测时间), timestamps mostly "YYYY-MM-DD HH:MM:SS"; -999 is the feed's "no data"."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from pathlib import Path

from citygen import defects as d
from citygen.dataset import DatasetOutput, DeliveredFile
from citygen.defects import Defect, Record
from citygen.writers import write_csv

PATH = "sthjj/kongqi_zhiliang_xiaoshi_20250628.csv"
COLUMNS = {
    "站点编码": "station_code",
    "站点名称": "station_name",
    "监测时间": "observed_at",
    "AQI": "aqi",
    "PM2.5": "pm2_5",
    "PM10": "pm10",
    "SO2": "so2",
    "NO2": "no2",
    "O3": "o3",
    "CO": "co",
    "首要污染物": "primary_pollutant",
}
STATIONS = [("3158A", "城中"), ("3159A", "虹桥"), ("3160A", "星湖花园"), ("3161A", "南郊"),
            ("3162A", "紫琅学院"), ("3163A", "开发区"), ("3164A", "金沙"), ("3165A", "海门城区"),
            ("3166A", "掘港"), ("3167A", "汇龙")]
START = dt.datetime(2025, 6, 28, 0, 0)
HOURS = 48
POLLUTANTS = ["PM2.5", "PM10", "SO2", "NO2", "O3", "CO"]
# China HJ 633-2012 IAQI breakpoints (concentration, IAQI) for the hourly pollutants used here.
BREAKS = {
    "PM2.5": [(0, 0), (35, 50), (75, 100), (115, 150), (150, 200), (250, 300), (350, 400), (500, 500)],
    "PM10": [(0, 0), (50, 50), (150, 100), (250, 150), (350, 200), (420, 300), (500, 400), (600, 500)],
    "SO2": [(0, 0), (150, 50), (500, 100), (650, 150), (800, 200)],
    "NO2": [(0, 0), (100, 50), (200, 100), (700, 150), (1200, 200), (2340, 300)],
    "O3": [(0, 0), (160, 50), (200, 100), (300, 150), (400, 200), (800, 300)],
    "CO": [(0, 0), (5, 50), (10, 100), (35, 150), (60, 200), (90, 300)],
}


def _iaqi(pollutant: str, value: float) -> float:
    points = BREAKS[pollutant]
    for (c_lo, i_lo), (c_hi, i_hi) in itertools.pairwise(points):
        if value <= c_hi:
            return i_lo + (i_hi - i_lo) * (value - c_lo) / (c_hi - c_lo)
    return 500.0


def _observation(rng: random.Random, code: str, name: str, hour: dt.datetime, base: dict) -> Record:
    daily = 1 + 0.35 * (1 if 7 <= hour.hour <= 10 or 17 <= hour.hour <= 20 else -0.3)
    values = {
        "PM2.5": max(3, round(base["PM2.5"] * daily * rng.uniform(0.8, 1.2))),
        "PM10": max(5, round(base["PM10"] * daily * rng.uniform(0.8, 1.2))),
        "SO2": max(2, round(base["SO2"] * rng.uniform(0.7, 1.3))),
        "NO2": max(3, round(base["NO2"] * daily * rng.uniform(0.8, 1.2))),
        "O3": max(5, round(base["O3"] * (1.8 if 12 <= hour.hour <= 16 else 0.7) * rng.uniform(0.8, 1.2))),
        "CO": round(base["CO"] * rng.uniform(0.8, 1.2), 1),
    }
    iaqi = {p: _iaqi(p, v) for p, v in values.items()}
    aqi = round(max(iaqi.values()))
    primary = max(iaqi, key=iaqi.get) if aqi > 50 else ""
    return Record({
        "站点编码": code,
        "站点名称": f"南通{name}" if code < "3164A" else name,
        "监测时间": f"{hour:%Y-%m-%d %H:%M:%S}",
        "AQI": str(aqi),
        **{p: str(v) for p, v in values.items()},
        "首要污染物": primary,
    })


def _time_variant(record: Record, rng: random.Random) -> Defect:
    clean = record.values["监测时间"]
    t = dt.datetime.fromisoformat(clean)
    record.values["监测时间"] = rng.choice([f"{t.year}/{t.month}/{t.day} {t:%H:%M}", f"{t:%Y-%m-%dT%H:%M:%S}",
                                           f"{t:%Y%m%d%H%M%S}"])
    return Defect("date_format", "监测时间", record.values["监测时间"], clean)


def _future(record: Record, rng: random.Random) -> Defect:
    record.values["监测时间"] = record.values["监测时间"].replace("2025", "2052", 1)
    return Defect("future_date", "监测时间", record.values["监测时间"], detail="year mistyped")


def _sentinel(record: Record, rng: random.Random) -> Defect:
    header = rng.choice(POLLUTANTS)
    record.values[header] = "-999"
    return Defect("out_of_range", header, "-999", detail="feed's no-data sentinel; the minimum is a warning")


def _change_values(values: dict, rng: random.Random) -> str:
    values["PM10"] = str(int(values["PM10"]) + rng.randint(3, 20))
    return "PM10"


def build(rng: random.Random, out_dir: Path) -> DatasetOutput:
    records = []
    for code, name in STATIONS:
        base = {"PM2.5": rng.uniform(18, 45), "PM10": rng.uniform(35, 70), "SO2": rng.uniform(4, 10),
                "NO2": rng.uniform(15, 40), "O3": rng.uniform(50, 95), "CO": rng.uniform(0.4, 0.9)}
        for h in range(HOURS):
            records.append(_observation(rng, code, name, START + dt.timedelta(hours=h), base))
    records.sort(key=lambda r: (r.values["监测时间"], r.values["站点编码"]))  # the feed is time-ordered

    d.inject(records, rng, 8, _time_variant)
    d.inject(records, rng, 4, d.whitespace("站点名称"))
    d.inject(records, rng, 4, d.fullwidth("PM2.5"))
    d.inject(records, rng, 3, d.missing("站点编码"))
    d.inject(records, rng, 3, _future)
    d.inject(records, rng, 3, d.bad_enum("首要污染物", ["臭氧", "PM25", "颗粒物"]), lambda r: r.values["首要污染物"] != "")
    d.inject(records, rng, 6, _sentinel)
    d.add_key_duplicates(records, rng, 4, ["站点编码", "监测时间"], _change_values)
    d.add_exact_duplicates(records, rng, 6)
    d.number_rows(records, [(PATH, len(records))])

    write_csv(out_dir / PATH, list(COLUMNS), records, encoding="utf-8")
    files = [DeliveredFile(PATH, "csv", encoding="utf-8", line_end="LF")]
    return DatasetOutput("air_quality_hourly", "空气质量小时数据", "市生态环境局", COLUMNS, records, files)
