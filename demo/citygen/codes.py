"""Well-formed identifiers and realistic Chinese values for the demo city.

USCC (GB 32100) and resident ID numbers (GB 11643) are generated valid; the check characters
come from python-stdnum so the generator and the platform agree on the algorithm. Corruptions
(bad check character) are made here too, so a "bad" code is bad only in its check character.
"""

from __future__ import annotations

import datetime as dt
import random

from stdnum.cn import ric, uscc

# The city's division codes are the platform's vocabulary; the generator only adds the years
# a retired code was in force.
from yibenzhang.vocabulary import CITY_CODE, CURRENT_DISTRICTS  # noqa: F401 (re-exported)

# retired code -> (former name, successor, last year in force)
RETIRED_DISTRICTS = {
    "320602": ("崇川区", "320613", 2019),
    "320611": ("港闸区", "320613", 2019),
    "320621": ("海安县", "320685", 2017),
    "320683": ("通州市", "320612", 2008),
    "320684": ("海门市", "320614", 2019),
}
# Address codes valid in a birth year, as python-stdnum's ID check requires: (code, first, last).
_ID_ADDRESS_CODES = [
    ("320602", 1991, 2019), ("320611", 1991, 2019), ("320621", 1983, 2018),
    ("320623", 1983, 9999), ("320681", 1989, 9999), ("320682", 1991, 9999),
    ("320683", 1993, 2009), ("320684", 1994, 2020), ("320612", 2009, 9999),
    ("320613", 2020, 9999), ("320614", 2020, 9999), ("320685", 2018, 9999),
    ("320624", 1983, 1993), ("320625", 1983, 1994), ("320622", 1983, 1991),
]

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_VALUES = {c: i for i, c in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")}


def retired_for(successor: str) -> list[str]:
    return [code for code, (_, succ, _) in RETIRED_DISTRICTS.items() if succ == successor]


def code_in_force(district: str, year: int) -> str:
    """The code a current district had in `year` (its retired predecessor before abolition)."""
    older = [c for c, (_, succ, last) in RETIRED_DISTRICTS.items() if succ == district and year <= last]
    return older[0] if older else district


def _org_check(body: str) -> str:
    """GB 11714 organization-code check character for an 8-character body."""
    total = sum(_ORG_VALUES[c] * w for c, w in zip(body, _ORG_WEIGHTS))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def make_uscc(rng: random.Random, region: str, authority: str = "91", with_letter: bool | None = None) -> str:
    """A valid USCC: authority+type, 6-digit region, GB 11714 organization code, check char."""
    if with_letter is None:
        with_letter = rng.random() < 0.7  # most codes issued since 2015 carry "MA" org codes
    if with_letter:
        body = "MA" + "".join(rng.choice(USCC_ALPHABET) for _ in range(6))
    else:
        body = "".join(rng.choice("0123456789") for _ in range(8))
    first17 = authority + region + body + _org_check(body)
    code = first17 + uscc.calc_check_digit(first17)
    assert uscc.is_valid(code), code
    return code


def make_ric(rng: random.Random, birth: dt.date, male: bool, district: str | None = None) -> str:
    """A valid resident ID number for someone born in a Nantong district on `birth`."""
    if district is None:
        options = [c for c, first, last in _ID_ADDRESS_CODES if first <= birth.year <= last]
        district = rng.choice(options)
    seq = rng.randrange(0, 500) * 2 + (1 if male else 0)
    seq = max(seq, 1) if male else max(seq, 2)
    body = f"{district}{birth:%Y%m%d}{seq:03d}"
    number = body + ric.calc_check_digit(body + "0")
    assert ric.is_valid(number), number
    return number


def corrupt_check(code: str, alphabet: str) -> str:
    """The same code with a different (wrong) final check character."""
    wrong = [c for c in alphabet if c != code[-1]]
    return code[:-1] + wrong[sum(map(ord, code)) % len(wrong)]


def corrupt_uscc(code: str) -> str:
    bad = corrupt_check(code, USCC_ALPHABET)
    assert not uscc.is_valid(bad)
    return bad


def corrupt_ric(code: str) -> str:
    bad = corrupt_check(code, "0123456789X")
    assert not ric.is_valid(bad)
    return bad


# ---- Chinese names, addresses, values -------------------------------------------------------

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建文辉玲萍鹏红亮宁波斌俊浩凯峰云翔婷雪琳晨宇欣怡佳璐晓梅兰春燕健志海鑫飞雯倩颖嘉宏涵子轩梓萱诗雨晴博睿思源"
ROADS = ["人民中路", "工农路", "青年中路", "濠西路", "崇川路", "世纪大道", "通甲路", "长江中路",
         "钟秀路", "园林路", "跃龙路", "姚港路", "永和路", "通宁大道", "星湖大道", "江海大道"]
# Towns (镇/街道) of each current district, with a road, for addresses and place names.
TOWNS = {
    "320612": [("金沙", "新金路"), ("石港", "石港大道"), ("二甲", "二甲路")],
    "320613": [("唐闸", "唐闸路"), ("天生港", "港闸路"), ("观音山", "观音山路"), ("秦灶", "秦灶路")],
    "320614": [("海门", "北京路"), ("三厂", "三厂路"), ("悦来", "悦来路")],
    "320623": [("掘港", "青园路"), ("岔河", "岔河路"), ("丰利", "丰利路"), ("栟茶", "栟茶路")],
    "320681": [("汇龙", "公园路"), ("吕四", "吕四港路"), ("王鲍", "王鲍路")],
    "320682": [("如城", "海阳路"), ("东陈", "东陈路"), ("白蒲", "白蒲路"), ("九华", "九华路")],
    "320685": [("城东", "宁海路"), ("李堡", "李堡路"), ("曲塘", "曲塘路"), ("角斜", "角斜路")],
}
TRADE_NAMES = ["瑞丰", "通达", "江海", "华宇", "恒信", "金鼎", "福源", "嘉禾", "永盛", "海川", "新润", "中天",
               "鸿运", "德邦", "锦程", "天成", "紫琅", "濠河", "博远", "万通", "宏图", "启航", "安泰", "鑫源",
               "长青", "盛世", "和顺", "凯达", "联创", "东升", "南洋", "北辰", "大丰", "众诚", "汇智", "优品"]
INDUSTRIES = [("纺织", "C1711"), ("服装", "C1810"), ("机械制造", "C3311"), ("电子科技", "C3979"),
              ("船舶工程", "C3731"), ("建筑工程", "E4710"), ("贸易", "F5191"), ("物流", "G5430"),
              ("餐饮管理", "H6210"), ("软件开发", "I6513"), ("家纺", "C1771"), ("化工", "C2614"),
              ("食品", "C1469"), ("装饰工程", "E5010"), ("信息技术", "I6531"), ("新能源", "C3825")]


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def address(rng: random.Random, district: str) -> str:
    """An address in a current district: a city road or a road of one of its towns."""
    name = CURRENT_DISTRICTS[district]
    if rng.random() < 0.6:
        return f"南通市{name}{rng.choice(ROADS)}{rng.randint(1, 399)}号"
    town, road = rng.choice(TOWNS[district])
    return f"南通市{name}{town}{'街道' if district == '320613' else '镇'}{road}{rng.randint(1, 199)}号"


def random_date(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randint(0, (end - start).days))


def mobile(rng: random.Random) -> str:
    return rng.choice(["139", "138", "137", "136", "135", "158", "159", "188", "187", "151", "152", "180",
                       "181", "189", "133", "153", "177", "199"]) + f"{rng.randint(0, 99_999_999):08d}"


def landline(rng: random.Random) -> str:
    return f"0513-{rng.randint(80_000_000, 89_999_999)}"
