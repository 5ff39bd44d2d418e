# ruff: noqa: S311 - seeded pseudo-random data on purpose: reproducible demo data, not secrets
"""A synthetic but realistic OMS region (Khabarovsk krai), reproducible from a seed.

Two public entry points share one person stream, so the demo database and a benchmark file hold the
same persons for the same arguments:

- :func:`region_spec` — the organizations (MOs with districts and doctors, SMOs, the Fund, the Ministry)
  and :func:`demo_users` — the demo login of every role in every organization;
- :func:`iter_persons` — the insured persons with policy and attachment history, streamed one by one;
- :func:`write_register_xml` — the same persons as a ``REGISTER`` file (formats.md), for benchmarks.

Only ``random.Random`` instances seeded from ``seed`` are used (never the global generator), and the
draws do not depend on the wall clock except through ``as_of`` (default: today), which anchors ages and
dates. The same ``seed``, counts and ``as_of`` give byte-identical output.
"""

from __future__ import annotations

import datetime
import random
from bisect import bisect
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from participants.identifiers import enp_with_check, snils_format, snils_with_check

from . import names as N

# Russia's population by five-year age group, millions, with the male share (Rosstat, 1 January 2023,
# rounded). Ages under 18 come to ~22 %: OMS covers children too. (lo, hi, weight, male share,
# probability of having died within the last three years and still being in the register).
AGE_PYRAMID = (
    (0, 5, 7.9, 0.513, 0.002),
    (5, 10, 9.6, 0.513, 0.0005),
    (10, 15, 9.0, 0.512, 0.0005),
    (15, 20, 8.1, 0.512, 0.001),
    (20, 25, 6.9, 0.510, 0.002),
    (25, 30, 7.4, 0.505, 0.003),
    (30, 35, 11.0, 0.500, 0.004),
    (35, 40, 12.3, 0.495, 0.005),
    (40, 45, 11.0, 0.485, 0.007),
    (45, 50, 10.0, 0.475, 0.010),
    (50, 55, 9.1, 0.460, 0.015),
    (55, 60, 9.3, 0.440, 0.022),
    (60, 65, 10.5, 0.420, 0.032),
    (65, 70, 9.2, 0.390, 0.045),
    (70, 75, 7.3, 0.350, 0.065),
    (75, 80, 3.4, 0.300, 0.095),
    (80, 85, 3.0, 0.270, 0.140),
    (85, 101, 2.2, 0.220, 0.220),
)

# Shares of persons with a given trait (the rest of the realism lives in the code below).
SHARE_OTHER_REGION = 0.015  # insured by an SMO of another region, still living (and attached) here
SHARE_CHANGED_SMO = 0.12
SHARE_CHANGED_MO = 0.15
SHARE_OPT_OUT = 0.02
SHARE_NO_PATRONYMIC = 0.005

ENP_START = datetime.date(2011, 5, 1)  # federal law 326-FZ: unified policies from 1 May 2011
ATTACH_START = datetime.date(2012, 1, 1)

# OKATO codes of regions for the REGISTER header (27 Khabarovsk krai).
OKATO = {"27": "08000", "25": "05000", "28": "10000", "79": "99000", "65": "64000", "41": "30000"}
OTHER_REGION_PREFIXES = ("25", "28", "79", "65", "41", "49", "14", "77", "78", "54")


# --------------------------------------------------------------------------------------------------
# Organizations
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DistrictSpec:
    """A district of a demo MO with its one doctor or feldsher."""

    number: str
    kind: str  # participants.models.DistrictKind value
    name: str
    worker_name: str
    worker_position: str
    worker_snils: str


@dataclass(frozen=True)
class OrgSpec:
    """A demo organization: the fields of participants.models.Organization plus MO districts."""

    kind: str  # participants.models.OrganizationKind value
    code: str
    name: str
    short_name: str
    address: str
    hours: str
    phone: str
    email: str
    responsible_name: str
    responsible_phone: str
    responsible_email: str
    settlements: tuple[str, ...] = ()
    weight: float = 0.0  # MO: share of the population; SMO: market share
    districts: tuple[DistrictSpec, ...] = ()

    def model_fields(self) -> dict:
        """Keyword arguments for Organization."""
        return {
            "kind": self.kind,
            "code": self.code,
            "name": self.name,
            "short_name": self.short_name,
            "address": self.address,
            "hours": self.hours,
            "phone": self.phone,
            "email": self.email,
            "responsible_name": self.responsible_name,
            "responsible_phone": self.responsible_phone,
            "responsible_email": self.responsible_email,
        }


@dataclass(frozen=True)
class RegionSpec:
    """Every organization of the demo region, derivable from (seed, mos, smos, region_code)."""

    seed: int
    region_code: str
    mos: tuple[OrgSpec, ...]
    smos: tuple[OrgSpec, ...]
    fund: OrgSpec
    ministry: OrgSpec
    other_region_smo_codes: tuple[str, ...]
    persons_seed: str = field(default="", repr=False)

    @property
    def organizations(self) -> tuple[OrgSpec, ...]:
        return (*self.mos, *self.smos, self.fund, self.ministry)


@dataclass(frozen=True)
class UserSpec:
    """A demo login: username, role (participants.models.Role value) and organization (kind, code)."""

    username: str
    role: str
    org_kind: str | None
    org_code: str | None
    last_name: str
    first_name: str
    patronymic: str


# (full name, short name, settlements served, profile). Ordered so that a few MOs already mix city
# polyclinics, a second city and rural district hospitals.
_MO_TEMPLATES = (
    ("КГБУЗ «Городская поликлиника № 3» министерства здравоохранения Хабаровского края", "ГП № 3",
     ("г. Хабаровск",), "city"),
    ("КГБУЗ «Городская больница № 7» министерства здравоохранения Хабаровского края", "ГБ № 7",
     ("г. Комсомольск-на-Амуре",), "city"),
    ("КГБУЗ «Хабаровская районная больница» министерства здравоохранения Хабаровского края", "Хабаровская РБ",
     ("с. Тополево", "с. Князе-Волконское"), "rural"),
    ("КГБУЗ «Городская поликлиника № 11» министерства здравоохранения Хабаровского края", "ГП № 11",
     ("г. Хабаровск",), "city"),
    ("КГБУЗ «Амурская центральная районная больница» министерства здравоохранения Хабаровского края",
     "Амурская ЦРБ", ("г. Амурск", "рп Эльбан"), "town"),
    ("КГБУЗ «Городская поликлиника № 16» министерства здравоохранения Хабаровского края", "ГП № 16",
     ("г. Хабаровск",), "city"),
    ("КГБУЗ «Районная больница района имени Лазо» министерства здравоохранения Хабаровского края",
     "РБ района им. Лазо", ("рп Переяславка", "рп Хор"), "rural"),
    ("КГБУЗ «Советско-Гаванская районная больница» министерства здравоохранения Хабаровского края",
     "Советско-Гаванская РБ", ("г. Советская Гавань",), "town"),
    ("КГБУЗ «Городская больница № 2» министерства здравоохранения Хабаровского края", "ГБ № 2",
     ("г. Комсомольск-на-Амуре",), "city"),
    ("КГБУЗ «Николаевская-на-Амуре центральная районная больница» министерства здравоохранения "
     "Хабаровского края", "Николаевская ЦРБ", ("г. Николаевск-на-Амуре",), "town"),
    ("КГБУЗ «Бикинская центральная районная больница» министерства здравоохранения Хабаровского края",
     "Бикинская ЦРБ", ("г. Бикин",), "town"),
    ("КГБУЗ «Ванинская центральная районная больница» министерства здравоохранения Хабаровского края",
     "Ванинская ЦРБ", ("рп Ванино",), "town"),
    ("КГБУЗ «Вяземская районная больница» министерства здравоохранения Хабаровского края", "Вяземская РБ",
     ("г. Вяземский",), "town"),
    ("КГБУЗ «Верхнебуреинская центральная районная больница» министерства здравоохранения "
     "Хабаровского края", "Верхнебуреинская ЦРБ", ("рп Чегдомын",), "town"),
    ("КГБУЗ «Солнечная районная больница» министерства здравоохранения Хабаровского края", "Солнечная РБ",
     ("рп Солнечный",), "town"),
    ("КГБУЗ «Нанайская центральная районная больница» министерства здравоохранения Хабаровского края",
     "Нанайская ЦРБ", ("с. Троицкое",), "rural"),
    ("КГБУЗ «Ульчская районная больница» министерства здравоохранения Хабаровского края", "Ульчская РБ",
     ("с. Богородское",), "rural"),
    ("КГБУЗ «Городская поликлиника № 5» министерства здравоохранения Хабаровского края", "ГП № 5",
     ("г. Хабаровск",), "city"),
    ("КГБУЗ «Городская поликлиника № 7» министерства здравоохранения Хабаровского края", "ГП № 7",
     ("г. Хабаровск",), "city"),
    ("КГБУЗ «Комсомольская межрайонная больница» министерства здравоохранения Хабаровского края",
     "Комсомольская МРБ", ("п. Молодёжный",), "rural"),
)  # fmt: skip

_SMO_TEMPLATES = (
    ("Хабаровский филиал АО «Страховая компания «Дальмед-Полис»", "Дальмед-Полис", 0.45),
    ("Филиал ООО «Капитал Мед Восток» в Хабаровском крае", "Капитал Мед Восток", 0.30),
    ("Филиал АО «Росмедстрах-ОМС» в г. Хабаровске", "Росмедстрах-ОМС", 0.17),
    ("ООО «Амурская страховая медицинская компания»", "АСМК", 0.08),
)

_FELDSHER_VILLAGES = (
    "с. Ильинка", "с. Малышево", "с. Сикачи-Алян", "с. Некрасовка", "с. Бычиха", "с. Мичуринское",
    "с. Казакевичево", "с. Виноградовка", "с. Дружба", "с. Краснореченское", "с. Бельго",
    "с. Нижняя Тамбовка", "с. Джонка", "с. Найхин", "с. Даерга", "с. Верхняя Эконь", "с. Пивань", "с. Сита",
    "с. Святогорье", "с. Лермонтовка", "с. Оренбургское", "с. Нижнетамбовское", "с. Кольчём", "с. Булава",
)  # fmt: skip

_SETTLEMENT = {s[0]: s for s in N.SETTLEMENTS}
_POSITIONS = {
    "THER": "врач-терапевт участковый",
    "GP": "врач общей практики (семейный врач)",
    "FELD": "заведующий фельдшерско-акушерским пунктом — фельдшер",
}
# ENP and SNILS grow with the record number by a random gap below the step: unique, random-looking, and
# inserted in key order, which keeps the btree inserts of a 1M-row COPY local (measured 2x faster than
# random keys on the seeded register). SNILS of persons stay in [_SNILS_LOW, _SNILS_LOW + _SNILS_SPAN)
# persons < span); doctors have a band of their own below it (see _worker_snils).
_SNILS_LOW = 2_000_000
_SNILS_SPAN = 997_000_000
_SNILS_STEP = 97
_ENP_STEP = 7919
MAX_PERSONS = (_SNILS_SPAN - 10**7) // _SNILS_STEP  # ~10 million: larger than any region (domain §11)


def default_region_code() -> str:
    """settings.OMS_REGION_CODE when Django is configured, else 27 (Khabarovsk krai)."""
    try:
        from django.conf import settings
        from django.core.exceptions import ImproperlyConfigured
    except ImportError:
        return "27"
    try:
        return settings.OMS_REGION_CODE
    except (ImproperlyConfigured, AttributeError):  # the generator also runs without Django settings
        return "27"


def _landline(rng: random.Random, area: str) -> str:
    digits = rng.randrange(10 ** (10 - len(area)))
    rest = f"{digits:0{10 - len(area)}d}"
    if len(rest) == 6:
        return f"+7 ({area}) {rest[:2]}-{rest[2:4]}-{rest[4:]}"
    return f"+7 ({area}) {rest[:-4]}-{rest[-4:-2]}-{rest[-2:]}"


def _person_name(rng: random.Random, male: bool | None = None) -> tuple[str, str, str, bool]:
    """A (surname, name, patronymic, male) for staff: uniform choice, adults born 1960-1989."""
    male = rng.random() < 0.4 if male is None else male
    surname = rng.choice(N.SURNAMES)
    father = rng.choice(N.MALE_NAMES)
    if male:
        return surname, rng.choice(N.MALE_NAMES)[0], father[1], True
    return N.female_surname(surname), rng.choice(N.FEMALE_NAMES)[0], father[2], False


def _full_name(parts: tuple[str, str, str, bool]) -> str:
    return f"{parts[0]} {parts[1]} {parts[2]}"


def _street_address(rng: random.Random, settlement: str) -> str:
    streets = N.STREETS.get(settlement, N.COMMON_STREETS)
    house = rng.randrange(1, 120)
    return f"Хабаровский край, {settlement}, {rng.choice(streets)}, д. {house}"


def _districts(rng: random.Random, profile: str, worker_index: Iterator[int]) -> tuple[DistrictSpec, ...]:
    if profile == "city":
        kinds = ["THER"] * rng.randint(15, 30) + ["GP"] * rng.randint(1, 3)
    elif profile == "town":
        kinds = ["THER"] * rng.randint(6, 12) + ["GP"] * rng.randint(2, 4) + ["FELD"] * rng.randint(1, 4)
    else:
        kinds = ["THER"] * rng.randint(2, 4) + ["GP"] * rng.randint(3, 6) + ["FELD"] * rng.randint(4, 8)
    villages = rng.sample(_FELDSHER_VILLAGES, kinds.count("FELD"))
    result = []
    for number, kind in enumerate(kinds, start=1):
        if kind == "THER":
            name = f"Терапевтический участок № {number}"
        elif kind == "GP":
            name = f"Участок врача общей практики № {number}"
        else:
            name = f"ФАП {villages.pop()}"
        worker = _person_name(rng, male=rng.random() < 0.25)
        result.append(
            DistrictSpec(
                number=str(number),
                kind=kind,
                name=name,
                worker_name=_full_name(worker),
                worker_position=_POSITIONS[kind],
                worker_snils=_worker_snils(next(worker_index)),
            )
        )
    return tuple(result)


def _worker_snils(k: int) -> str:
    # Persons fill [_SNILS_LOW, _SNILS_LOW + _SNILS_SPAN), so doctors get their own band below it (and
    # above 001-001-998, which carries no check number).
    return snils_with_check(f"{1_500_000 + k:09d}")


def region_spec(*, seed: int, mos: int = 8, smos: int = 3, region_code: str | None = None) -> RegionSpec:
    """The organizations of the demo region for ``seed``: ``mos`` MOs (codes RRxxxx), ``smos`` SMOs (RRxxx)."""
    if not 1 <= mos <= 99:
        raise ValueError("mos must be between 1 and 99")
    if not 1 <= smos <= 9:
        raise ValueError("smos must be between 1 and 9")
    region = region_code or default_region_code()
    rng = random.Random(f"omsportal-demo:{seed}:orgs")
    worker_index = iter(range(10**6))
    area = "4212"

    mo_numbers: list[int] = []
    mo_specs = []
    # The population of a settlement is shared by the MOs that serve it.
    templates = list(_MO_TEMPLATES)
    for extra in range(len(templates), mos):
        templates.append(
            (
                f"КГБУЗ «Городская поликлиника № {extra + 1}» министерства здравоохранения Хабаровского края",
                f"ГП № {extra + 1}",
                ("г. Хабаровск",),
                "city",
            )
        )
    chosen = templates[:mos]
    served: dict[str, int] = {}
    for t in chosen:
        for s in t[2]:
            served[s] = served.get(s, 0) + 1
    for name, short, settlements, profile in chosen:
        number = rng.randrange(1, 400)
        while number in mo_numbers:
            number = rng.randrange(1, 400)
        mo_numbers.append(number)
        code = f"{region}{number:04d}"
        main = _SETTLEMENT[settlements[0]]
        head = _person_name(rng)
        mo_specs.append(
            OrgSpec(
                kind="MO",
                code=code,
                name=name,
                short_name=short,
                address=_street_address(rng, settlements[0]),
                hours="пн–пт 08:00–20:00, сб 09:00–15:00" if profile == "city" else "пн–пт 08:00–17:00",
                phone=_landline(rng, main[3]),
                email=f"mo{code}@example.org",
                responsible_name=f"{_full_name(head)}, заместитель главного врача по медицинской части",
                responsible_phone=_landline(rng, main[3]),
                responsible_email=f"zam.mo{code}@example.org",
                settlements=tuple(settlements),
                weight=sum(_SETTLEMENT[s][1] / served[s] for s in settlements),
                districts=_districts(rng, profile, worker_index),
            )
        )

    smo_numbers: list[int] = []
    smo_specs = []
    smo_templates = list(_SMO_TEMPLATES)
    for extra in range(len(smo_templates), smos):
        smo_templates.append((f"ООО «Страховая медицинская компания «Регион-{extra + 1}»", f"Регион-{extra + 1}", 0.05))
    for name, short, share in smo_templates[:smos]:
        number = rng.randrange(1, 60)
        while number in smo_numbers:
            number = rng.randrange(1, 60)
        smo_numbers.append(number)
        code = f"{region}{number:03d}"
        head = _person_name(rng)
        smo_specs.append(
            OrgSpec(
                kind="SMO",
                code=code,
                name=name,
                short_name=short,
                address=_street_address(rng, "г. Хабаровск"),
                hours="пн–пт 09:00–18:00, контакт-центр круглосуточно",
                phone=f"8-800-{rng.randrange(100, 1000)}-{rng.randrange(10, 100)}-{rng.randrange(10, 100)}",
                email=f"smo{code}@example.org",
                responsible_name=f"{_full_name(head)}, руководитель службы страховых представителей",
                responsible_phone=_landline(rng, area),
                responsible_email=f"sp.smo{code}@example.org",
                weight=share,
            )
        )

    fund_head, ministry_head = _person_name(rng), _person_name(rng)
    fund = OrgSpec(
        kind="FUND",
        code=region,
        name="Хабаровский краевой фонд обязательного медицинского страхования",
        short_name="ХКФОМС",
        address="Хабаровский край, г. Хабаровск, ул. Фрунзе, д. 67",
        hours="пн–чт 09:00–18:00, пт 09:00–16:45",
        phone=_landline(rng, area),
        email="info@fund.example.org",
        responsible_name=f"{_full_name(fund_head)}, начальник отдела организации ОМС",
        responsible_phone=_landline(rng, area),
        responsible_email="oms@fund.example.org",
    )
    ministry = OrgSpec(
        kind="MINISTRY",
        code=region,
        name="Министерство здравоохранения Хабаровского края",
        short_name="Минздрав края",
        address="Хабаровский край, г. Хабаровск, ул. Муравьёва-Амурского, д. 32",
        hours="пн–чт 09:00–18:00, пт 09:00–16:45",
        phone=_landline(rng, area),
        email="zdrav@ministry.example.org",
        responsible_name=f"{_full_name(ministry_head)}, начальник отдела первичной медико-санитарной помощи",
        responsible_phone=_landline(rng, area),
        responsible_email="pmsp@ministry.example.org",
    )
    prefixes = rng.sample([p for p in OTHER_REGION_PREFIXES if p != region], 3)
    other = tuple(f"{p}{rng.randrange(1, 50):03d}" for p in prefixes)
    return RegionSpec(
        seed=seed,
        region_code=region,
        mos=tuple(mo_specs),
        smos=tuple(smo_specs),
        fund=fund,
        ministry=ministry,
        other_region_smo_codes=other,
        persons_seed=f"omsportal-demo:{seed}:persons",
    )


def demo_users(spec: RegionSpec) -> list[UserSpec]:
    """One demo login per role per organization: mo_<code>, smo_<code>_l1/_l2/_l3, fund, ministry, admin."""
    rng = random.Random(f"omsportal-demo:{spec.seed}:users")
    result = []

    def add(username: str, role: str, org: OrgSpec | None) -> None:
        last, first, patronymic, _male = _person_name(rng)
        result.append(
            UserSpec(username, role, org.kind if org else None, org.code if org else None, last, first, patronymic)
        )

    for mo in spec.mos:
        add(f"mo_{mo.code}", "MO_STAFF", mo)
    for smo in spec.smos:
        for level in (1, 2, 3):
            add(f"smo_{smo.code}_l{level}", f"SMO_L{level}", smo)
    add("fund", "FUND", spec.fund)
    add("ministry", "MINISTRY", spec.ministry)
    add("admin", "ADMIN", None)
    return result


# --------------------------------------------------------------------------------------------------
# Persons
# --------------------------------------------------------------------------------------------------


class DemoPerson:
    """One synthetic insured person with policy and attachment history (oldest period first)."""

    __slots__ = (
        "address",
        "attachments",
        "birth_date",
        "death_date",
        "email",
        "enp",
        "first_name",
        "last_name",
        "n",
        "opt_out_date",
        "patronymic",
        "phone",
        "policies",
        "sex",
        "snils",
    )

    def __init__(self, n, enp, snils, last_name, first_name, patronymic, sex, birth_date, death_date,
                 address, phone, email, opt_out_date, policies, attachments):  # fmt: skip
        self.n = n  # 1-based record number (N_ZAP)
        self.enp = enp
        self.snils = snils  # 11 digits or "" when the person has none
        self.last_name = last_name
        self.first_name = first_name
        self.patronymic = patronymic
        self.sex = sex  # 1 male, 2 female
        self.birth_date = birth_date
        self.death_date = death_date
        self.address = address
        self.phone = phone
        self.email = email
        self.opt_out_date = opt_out_date  # informing opt-out, None when not refused
        # ((smo_code, date_from, date_to | None), ...), last one current; date_to None = open
        self.policies = policies
        # ((mo_code, district_number, date_from, date_to | None), ...), last one current
        self.attachments = attachments

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__slots__}


def _cumulative(weights) -> tuple[list[float], float]:
    cum, total = [], 0.0
    for w in weights:
        total += w
        cum.append(total)
    return cum, total


class _Picker:
    """Weighted choice with a precomputed cumulative table: one random() and one bisect per draw."""

    __slots__ = ("cum", "items", "total")

    def __init__(self, items, weights):
        self.items = tuple(items)
        self.cum, self.total = _cumulative(weights)

    def __call__(self, r: float):
        return self.items[bisect(self.cum, r * self.total)]


def iter_persons(
    *, spec: RegionSpec, persons: int, seed: int | None = None, as_of: datetime.date | None = None
) -> Iterator[DemoPerson]:
    """Yield ``persons`` synthetic insured persons of ``spec``'s region, deterministic for (spec, as_of).

    ENP and SNILS are unique (increasing with the record number) with valid check digits; the age
    pyramid is Russia's; names agree with sex; some persons are deceased (policy and attachment closed on
    the date of death), insured in another region (no Organization), opted out of informing, or changed
    SMO or MO in the past (a closed period followed by an open one).
    """
    if seed is not None and seed != spec.seed:
        raise ValueError("seed differs from the seed of the region spec")
    if not 0 <= persons <= MAX_PERSONS:
        raise ValueError(f"persons must be between 0 and {MAX_PERSONS}")
    as_of = as_of or datetime.date.today()
    rng = random.Random(spec.persons_seed)
    rand = rng.random
    region = spec.region_code
    today = as_of.toordinal()
    enp_start, attach_start = ENP_START.toordinal(), ATTACH_START.toordinal()
    fromordinal = datetime.date.fromordinal

    enp_base = rng.randrange(10**11, 10**12)
    snils_base = _SNILS_LOW + rng.randrange(10**7)

    pick_group = _Picker(AGE_PYRAMID, [g[2] for g in AGE_PYRAMID])
    surnames = _Picker(N.SURNAMES, [1 / (rank + 8) for rank in range(len(N.SURNAMES))])
    female_form = {s: N.female_surname(s) for s in N.SURNAMES}
    male_by_era = [_Picker(N.MALE_NAMES, [m[3 + era] for m in N.MALE_NAMES]) for era in range(3)]
    female_by_era = [_Picker(N.FEMALE_NAMES, [f[1 + era] for f in N.FEMALE_NAMES]) for era in range(3)]
    translit_cache: dict[str, str] = {}

    mos = spec.mos
    pick_mo = _Picker(range(len(mos)), [m.weight for m in mos])
    mo_districts = [tuple(d.number for d in m.districts) for m in mos]
    mo_places = [[(s, N.STREETS.get(s, N.COMMON_STREETS), _SETTLEMENT[s][2]) for s in m.settlements] for m in mos]
    smo_codes = [s.code for s in spec.smos]
    pick_smo = _Picker(range(len(smo_codes)), [s.weight for s in spec.smos])
    other_codes = spec.other_region_smo_codes
    prefixes = N.MOBILE_PREFIXES

    def below(n: int) -> int:
        # int(random() * n) instead of randrange(n): a third of the cost, and n is far below 2**52
        return int(rand() * n)

    def era_of(year: int) -> int:
        return 0 if year < 1960 else (1 if year < 1990 else 2)

    def translit(value: str) -> str:
        t = translit_cache.get(value)
        if t is None:
            t = translit_cache[value] = N.translit(value)
        return t

    for i in range(persons):
        # --- who
        lo, hi, _w, male_share, death_p = pick_group(rand())
        age_days = int((lo + rand() * (hi - lo) if hi - lo <= 5 else lo + (hi - lo) * rand() ** 1.6) * 365.25)
        birth = today - age_days - 1
        birth_date = fromordinal(birth)
        male = rand() < male_share
        surname = surnames(rand())
        era = era_of(birth_date.year)
        father = male_by_era[era_of(birth_date.year - 28)](rand())
        if male:
            last, first, patronymic = surname, male_by_era[era](rand())[0], father[1]
        else:
            last, first, patronymic = female_form[surname], female_by_era[era](rand())[0], father[2]
        if rand() < SHARE_NO_PATRONYMIC:
            patronymic = ""
        enp = enp_with_check(f"{region}{enp_base + i * _ENP_STEP + below(_ENP_STEP):013d}")
        snils_number = snils_base + i * _SNILS_STEP + below(_SNILS_STEP)
        snils = "" if rand() < (0.25 if age_days < 365 else 0.02) else snils_with_check(f"{snils_number:09d}")

        # --- attachment (the MO also decides where the person lives)
        mo_i = pick_mo(rand())
        settlement, streets, flats = mo_places[mo_i][0 if rand() < 0.75 else below(len(mo_places[mo_i]))]
        street = streets[below(len(streets))]
        if flats and rand() < 0.85:
            address = f"Хабаровский край, {settlement}, {street}, д. {1 + below(149)}, кв. {1 + below(249)}"
        else:
            address = f"Хабаровский край, {settlement}, {street}, д. {1 + below(89)}"
        districts = mo_districts[mo_i]
        district = districts[below(len(districts))]
        if birth + 14 >= attach_start:
            att_from = min(birth + 14 + below(76), today - 1)
        else:
            att_from = attach_start + int(rand() ** 2 * (today - attach_start) * 0.9)
        att_from = max(att_from, birth)
        attachments = []
        if len(mos) > 1 and today - att_from > 400 and rand() < SHARE_CHANGED_MO:
            moved = att_from + 180 + below(today - att_from - 210)
            old_i = (mo_i + 1 + below(len(mos) - 1)) % len(mos)
            old_districts = mo_districts[old_i]
            attachments.append([mos[old_i].code, old_districts[below(len(old_districts))], att_from, moved - 1])
            att_from = moved
        attachments.append([mos[mo_i].code, district, att_from, None])

        # --- policy
        if birth + 7 >= enp_start:
            pol_from = min(birth + 7 + below(53), today - 1)
        else:
            pol_from = enp_start + int(rand() ** 3 * (today - enp_start) * 0.8)
        pol_from = max(pol_from, birth)
        smo_i = pick_smo(rand())
        policies = []
        r = rand()
        if r < SHARE_OTHER_REGION:
            code = other_codes[below(len(other_codes))]
            if today - pol_from > 400 and rand() < 0.6:
                moved = pol_from + 180 + below(today - pol_from - 210)
                policies.append([smo_codes[smo_i], pol_from, moved - 1])
                pol_from = moved
            policies.append([code, pol_from, None])
        else:
            if len(smo_codes) > 1 and today - pol_from > 400 and r < SHARE_OTHER_REGION + SHARE_CHANGED_SMO:
                moved = pol_from + 180 + below(today - pol_from - 210)
                old_i = (smo_i + 1 + below(len(smo_codes) - 1)) % len(smo_codes)
                policies.append([smo_codes[old_i], pol_from, moved - 1])
                pol_from = moved
            policies.append([smo_codes[smo_i], pol_from, None])

        # --- death closes the open policy and attachment on the date of death
        death_date = None
        if rand() < death_p:
            latest = max(policies[-1][1], attachments[-1][2])
            death = max(today - 1 - below(3 * 365 - 1), latest)
            death_date = fromordinal(death)
            policies[-1][2] = death
            attachments[-1][3] = death

        # --- contacts and informing opt-out
        adult = age_days >= 18 * 365
        phone = f"+7{prefixes[below(len(prefixes))]}{below(10**7):07d}" if rand() < (0.8 if adult else 0.6) else ""
        email = ""
        if adult and age_days < 70 * 365 and rand() < 0.22:
            domain = N.EMAIL_DOMAINS[below(len(N.EMAIL_DOMAINS))]
            email = f"{translit(last)}.{translit(first)}{birth_date.year % 100:02d}@{domain}"
        opt_out_date = None
        if death_date is None and rand() < SHARE_OPT_OUT:
            opt_out_date = fromordinal(max(today - 1 - below(3 * 365 - 1), birth))

        yield DemoPerson(
            i + 1,
            enp,
            snils,
            last,
            first,
            patronymic,
            1 if male else 2,
            birth_date,
            death_date,
            address,
            phone,
            email,
            opt_out_date,
            tuple((c, fromordinal(f), fromordinal(t) if t is not None else None) for c, f, t in policies),
            tuple((c, d, fromordinal(f), fromordinal(t) if t is not None else None) for c, d, f, t in attachments),
        )


# --------------------------------------------------------------------------------------------------
# REGISTER file
# --------------------------------------------------------------------------------------------------


def _iso(d: datetime.date | None) -> str:
    return d.isoformat() if d is not None else ""


def _el(tag: str, value: str) -> str:
    return f"<{tag}>{value}</{tag}>" if value else f"<{tag}/>"


def write_register_xml(
    path: str | Path,
    *,
    persons: int,
    seed: int,
    mos: int = 8,
    smos: int = 3,
    as_of: datetime.date | None = None,
    region_code: str | None = None,
) -> None:
    """Write the demo persons of (seed, mos, smos) as a full ``REGISTER`` file (formats.md), UTF-8.

    One ``PERS`` per person with the current (last) policy and attachment; ``DATA`` in the header is
    ``as_of`` (default today), ``FILENAME`` ``RS<region>_<yymmdd>``. The organizations the file refers to
    are ``region_spec(seed=seed, mos=mos, smos=smos)``: create them first to import the file. Persons
    insured in another region carry an SMO code of that region; deceased persons carry ``DS_DATE`` and a
    closed policy. Streams in chunks: memory stays flat for any ``persons``; about a minute for 1,000,000.
    """
    as_of = as_of or datetime.date.today()
    spec = region_spec(seed=seed, mos=mos, smos=smos, region_code=region_code)
    region = spec.region_code
    header = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<REGISTER>\n'
        f"<ZGLV><VERSION>1.0</VERSION><DATA>{as_of.isoformat()}</DATA>"
        f"<FILENAME>RS{region}_{as_of:%y%m%d}</FILENAME><OKATO>{OKATO.get(region, region + '000')}</OKATO></ZGLV>\n"
    )
    # Every generated string comes from participants.demo.names or digits: none holds &, < or >, so no
    # escaping is needed (tests/participants/test_seed_demo.py checks the lists).
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        out.write(header)
        chunk: list[str] = []
        append = chunk.append
        for p in iter_persons(spec=spec, persons=persons, as_of=as_of):
            smo_code, d_beg, d_end = p.policies[-1]
            mo_code, uch, datez, _att_end = p.attachments[-1]
            append(
                f"<PERS><N_ZAP>{p.n}</N_ZAP><ENP>{p.enp}</ENP>{_el('SNILS', snils_format(p.snils))}"
                f"<FAM>{p.last_name}</FAM><IM>{p.first_name}</IM>{_el('OT', p.patronymic)}<W>{p.sex}</W>"
                f"<DR>{p.birth_date.isoformat()}</DR><SMO>{smo_code}</SMO><D_BEG>{d_beg.isoformat()}</D_BEG>"
                f"{_el('D_END', _iso(d_end))}<CODE_MO>{mo_code}</CODE_MO>{_el('UCH', uch)}"
                f"<DATEZ>{datez.isoformat()}</DATEZ>{_el('DS_DATE', _iso(p.death_date))}"
                f"{_el('ADRES', p.address)}{_el('TEL', p.phone)}{_el('EMAIL', p.email)}</PERS>\n"
            )
            if len(chunk) >= 20_000:
                out.write("".join(chunk))
                chunk.clear()
        out.write("".join(chunk))
        out.write("</REGISTER>\n")
