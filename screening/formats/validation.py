"""Format checks of a list record (codes 101–104) and its conversion to a staging row [formats.md, domain §4.1].

Runs once per record while the file streams, in plain Python without queries. Person fields are checked once per
person record (an XML SV_PR_MER with several SV_PL_MER, or CSV rows repeating one N_ZAP), so a bad SNILS is
reported once, not once per measure. The staging row's column order is :data:`STAGING_COLUMNS` (COPY).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from participants.identifiers import enp_digits_ok, name_part_key, snils_digits_ok

from .lists import ListRecord

DVN, PMO, DN = "DVN", "PMO", "DN"
# The exchange files' DISP values of each measure (formats.md), Russian whatever the language of the page; the
# pages' labels are screening.models.MEASURE_LABELS.
MEASURE_DISP = {DVN: "ДВН", PMO: "ПМО", DN: "ДН"}
MEASURE_CODES = {**{disp: code for code, disp in MEASURE_DISP.items()}, DVN: DVN, PMO: PMO, DN: DN}

BAS_PERSON, BAS_MEASURE = "SV_PR_MER", "SV_PL_MER"
# N_ZAP: up to 18 digits (bigint): a MIS numbers its records by database ids, large and with gaps, echoed as sent.
MAX_NAME, MAX_UCH, MAX_TEL, MAX_N_ZAP = 100, 20, 50, 999_999_999_999_999_999
MIN_BIRTH = datetime.date(1880, 1, 1)

STAGING_COLUMNS = (
    "upload_id",
    "n_zap",
    "measure",
    "month",
    "quarter",
    "doctor_snils",
    "enp",
    "snils",
    "last_name",
    "first_name",
    "patronymic",
    "name_key",
    "sex",
    "birth_date",
    "district",
    "phone",
    "format_ok",
    "smo_code",
    "rejected",
)
ERROR_COLUMNS = (
    "upload_id",
    "n_zap",
    "code",
    "severity",
    "field",
    "base_element",
    "comment",
    "measure",
    "person_label",
)

_DIGITS = re.compile(r"[0-9]+\Z")  # ASCII only: \\d would also take other scripts' digits
_SNILS_SEPARATORS = str.maketrans("", "", "- ")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})\Z")  # ASCII digits only (\d takes "١٩٧٠")
_RU_DATE = re.compile(r"([0-9]{2})\.([0-9]{2})\.([0-9]{4})\Z")
# The common case in one match: N_ZAP, ENP or none, SNILS (plain or NNN-NNN-NNN NN) or none, W, DR as YYYY-MM-DD.
# A record it does not take goes the long way, which names every problem; both give the same row for a good one.
_SEP = "\x1f"
_WELL_FORMED_PERSON = re.compile(
    r"[1-9][0-9]{0,17}\x1f(?:[0-9]{16})?\x1f(?:[0-9]{11}|[0-9]{3}-[0-9]{3}-[0-9]{3} [0-9]{2})?\x1f[12]\x1f"
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z"
)
_WELL_FORMED_MONTHS = {str(month): (month, (month - 1) // 3 + 1) for month in range(1, 13)}
_YEARLY_MEASURES = {"ДВН": DVN, "ПМО": PMO, "DVN": DVN, "PMO": PMO}
_DN_CODES = ("ДН", "DN")
_QUARTERS = {"1": 1, "2": 2, "3": 3, "4": 4}
_DATE_CACHE_SIZE = 50_000


@dataclass(slots=True)
class FormatError:
    """A 1xx problem of one record: code, IM_POL, BAS_EL, a Russian comment; measure '' for person fields."""

    code: int
    field: str
    base_element: str
    comment: str
    measure: str = ""


def parse_date(value: str) -> datetime.date | None:
    """YYYY-MM-DD (formats.md); DD.MM.YYYY is also taken, as spreadsheets write it."""
    match = _ISO_DATE.match(value)
    try:
        if match:
            return datetime.date(int(match[1]), int(match[2]), int(match[3]))
        match = _RU_DATE.match(value)
        if match:
            return datetime.date(int(match[3]), int(match[2]), int(match[1]))
    except ValueError:
        return None
    return None


_NAME_NOISE = re.compile(r"[\s\-‐–—.'`]+")


def fast_name_key(last: str, first: str, patronymic: str) -> str:
    """participants.identifiers.name_key in one pass: the noise characters never include '|', so folding the
    joined key equals folding each part (a test holds the two equal)."""
    if "|" in last or "|" in first or "|" in patronymic:
        return "|".join(name_part_key(part) for part in (last, first, patronymic))
    return _NAME_NOISE.sub("", f"{last}|{first}|{patronymic}".upper().replace("Ё", "Е"))


def _show(value: str) -> str:
    return value if len(value) <= 40 else value[:40] + "…"


def _snils_problem(raw: str) -> tuple[int, str] | None:
    """None if ``raw`` is a valid SNILS, else (code, reason)."""
    digits = raw.translate(_SNILS_SEPARATORS)
    if len(digits) != 11 or not _DIGITS.match(digits):
        return 102, f"«{_show(raw)}» — СНИЛС должен состоять из 11 цифр (NNN-NNN-NNN NN или подряд)"
    if not snils_digits_ok(digits):
        return 103, f"{digits[:3]}-{digits[3:6]}-{digits[6:9]} {digits[9:]}: неверное контрольное число"
    return None


class RecordValidator:
    """Turns ListRecords into (staging row, errors); caches the person part of consecutive records of one group."""

    def __init__(self, *, upload_id: int, today: datetime.date):
        self.upload_id = upload_id
        self.today = today
        self._group: int | None = None
        self._person: tuple | None = None
        self._birth_dates: dict[str, datetime.date] = {}  # DR text → date, for the well-formed ones

    def person_label(self, record: ListRecord) -> str:
        return " ".join(v for v in (record.fam, record.im, record.ot, record.dr) if v)[:300]

    def _well_formed_person(self, r: ListRecord) -> tuple | None:
        """The person part of a record with no format problem, checked in a few C-level operations; None when any
        check fails (then :meth:`_check_person` finds and names the problems)."""
        if _WELL_FORMED_PERSON.match(f"{r.n_zap}{_SEP}{r.enp}{_SEP}{r.snils}{_SEP}{r.w}{_SEP}{r.dr}") is None:
            return None
        n_zap = int(r.n_zap)
        fam, im, ot, uch, tel = r.fam, r.im, r.ot, r.uch, r.tel
        if (
            n_zap > MAX_N_ZAP
            or not fam
            or not im
            or len(fam) > MAX_NAME
            or len(im) > MAX_NAME
            or len(ot) > MAX_NAME
            or len(uch) > MAX_UCH
            or len(tel) > MAX_TEL
        ):
            return None
        enp = r.enp
        if enp and not enp_digits_ok(enp):
            return None
        snils = r.snils
        if snils:
            if len(snils) != 11:
                snils = snils.replace("-", "").replace(" ", "")
            if not snils_digits_ok(snils):
                return None
        birth_date = self._birth_dates.get(r.dr)
        if birth_date is None:
            try:
                birth_date = datetime.date(int(r.dr[:4]), int(r.dr[5:7]), int(r.dr[8:]))
            except ValueError:
                return None
            if not MIN_BIRTH <= birth_date <= self.today:
                return None
            if len(self._birth_dates) < _DATE_CACHE_SIZE:
                self._birth_dates[r.dr] = birth_date
        sex = 1 if r.w == "1" else 2
        return (n_zap, enp, snils, fam, im, ot, fast_name_key(fam, im, ot)[:310], sex, birth_date, uch, tel), ()

    def _check_person(self, r: ListRecord) -> tuple:
        errors: list[FormatError] = []
        add = errors.append
        n_zap = 0
        if not r.n_zap:
            add(FormatError(101, "N_ZAP", BAS_PERSON, "Не заполнен номер записи N_ZAP"))
        elif not _DIGITS.match(r.n_zap) or not 0 < int(r.n_zap) <= MAX_N_ZAP:
            add(FormatError(102, "N_ZAP", BAS_PERSON, f"N_ZAP «{_show(r.n_zap)}» — не положительное целое число"))
        else:
            n_zap = int(r.n_zap)
        enp = r.enp
        if enp:
            if len(enp) != 16 or not _DIGITS.match(enp):
                add(FormatError(102, "ENP", BAS_PERSON, f"ЕНП «{_show(enp)}» должен состоять из 16 цифр"))
                enp = ""
            elif not enp_digits_ok(enp):
                add(FormatError(104, "ENP", BAS_PERSON, f"ЕНП {enp}: неверный контрольный разряд"))
                enp = ""
        snils = ""
        if r.snils:
            problem = _snils_problem(r.snils)
            if problem:
                add(FormatError(problem[0], "SNILS", BAS_PERSON, problem[1]))
            else:
                snils = r.snils.translate(_SNILS_SEPARATORS)
        for value, tag, what in ((r.fam, "FAM", "фамилия"), (r.im, "IM", "имя"), (r.ot, "OT", "отчество")):
            if not value:
                if tag != "OT":
                    add(FormatError(101, tag, BAS_PERSON, f"Не заполнено поле {tag} ({what})"))
            elif len(value) > MAX_NAME:
                add(FormatError(102, tag, BAS_PERSON, f"Поле {tag} ({what}) длиннее {MAX_NAME} символов"))
        sex = None
        if not r.w:
            if not r.sex_free:
                add(FormatError(101, "W", BAS_PERSON, "Не заполнен пол W"))
        elif r.w in ("1", "2"):
            sex = int(r.w)
        else:
            add(FormatError(102, "W", BAS_PERSON, f"Пол W «{_show(r.w)}»: допустимо 1 (мужской) или 2 (женский)"))
        birth_date = None
        if not r.dr:
            add(FormatError(101, "DR", BAS_PERSON, "Не заполнена дата рождения DR"))
        else:
            birth_date = parse_date(r.dr)
            if birth_date is None:
                add(FormatError(102, "DR", BAS_PERSON, f"Дата рождения DR «{_show(r.dr)}» — не дата ГГГГ-ММ-ДД"))
            elif not MIN_BIRTH <= birth_date <= self.today:
                add(FormatError(102, "DR", BAS_PERSON, f"Дата рождения DR {birth_date:%d.%m.%Y} вне допустимых"))
                birth_date = None
        if len(r.uch) > MAX_UCH:
            add(FormatError(102, "UCH", BAS_PERSON, f"Номер участка UCH длиннее {MAX_UCH} символов"))
        if len(r.tel) > MAX_TEL:
            add(FormatError(102, "TEL", BAS_PERSON, f"Телефон TEL длиннее {MAX_TEL} символов"))
        person = (
            n_zap,
            enp,
            snils,
            r.fam[:MAX_NAME],
            r.im[:MAX_NAME],
            r.ot[:MAX_NAME],
            fast_name_key(r.fam, r.im, r.ot)[:310],
            sex,
            birth_date,
            r.uch[:MAX_UCH],
            r.tel[:MAX_TEL],
        )
        return person, errors

    @staticmethod
    def _well_formed_measure(r: ListRecord) -> tuple | None:
        """The measure part of a well-formed DVN/PMO line (a month) or DN line (a quarter and a doctor's plain
        SNILS); None otherwise (then :meth:`_check_measure` finds and names the problems)."""
        measure = _YEARLY_MEASURES.get(r.disp) if r.has_measure else None
        if measure is not None:
            month = _WELL_FORMED_MONTHS.get(r.month)
            if month is not None:
                return measure, month[0], month[1], "", []
            if not r.month:  # a MIS's quarter without a month (ProMed's QUART), or no period at all
                quarter = _QUARTERS.get(r.kv)
                if quarter is not None:
                    return measure, None, quarter, "", []
                if r.period_free and not r.kv:
                    return measure, None, None, "", []
            return None
        if r.disp in _DN_CODES and not r.month and r.has_measure:
            quarter = _QUARTERS.get(r.kv)
            doctor = r.iddokt
            if quarter and len(doctor) == 11 and doctor.isascii() and doctor.isdigit() and snils_digits_ok(doctor):
                return DN, None, quarter, doctor, []
        return None

    def _check_measure(self, r: ListRecord) -> tuple[str, int | None, int | None, str, list[FormatError]]:
        errors: list[FormatError] = []
        if not r.has_measure:
            errors.append(FormatError(101, "SV_PL_MER", BAS_PERSON, "Нет ни одного мероприятия SV_PL_MER"))
            return "", None, None, "", errors
        if not r.disp:
            errors.append(FormatError(101, "DISP", BAS_MEASURE, "Не заполнено мероприятие DISP"))
            return "", None, None, "", errors
        measure = MEASURE_CODES.get(r.disp.upper())
        if measure is None:
            errors.append(
                FormatError(102, "DISP", BAS_MEASURE, f"Мероприятие DISP «{_show(r.disp)}»: допустимо ДВН, ПМО или ДН")
            )
            return "", None, None, "", errors
        month = quarter = None
        doctor = ""
        if r.month:
            if _DIGITS.match(r.month) and 1 <= int(r.month) <= 12:
                month = int(r.month)
            else:
                errors.append(
                    FormatError(102, "MONTH", BAS_MEASURE, f"Месяц MONTH «{_show(r.month)}»: от 1 до 12", measure)
                )
        if measure == DN:
            if r.kv:
                if r.kv in ("1", "2", "3", "4"):
                    quarter = int(r.kv)
                    if month is not None and (month - 1) // 3 + 1 != quarter:
                        errors.append(
                            FormatError(
                                102, "KV", BAS_MEASURE, f"Месяц {month} не относится к кварталу {quarter}", measure
                            )
                        )
                else:
                    errors.append(
                        FormatError(102, "KV", BAS_MEASURE, f"Квартал KV «{_show(r.kv)}»: от 1 до 4", measure)
                    )
            elif month is not None:
                quarter = (month - 1) // 3 + 1
            elif not r.month:
                errors.append(
                    FormatError(101, "KV", BAS_MEASURE, "Для ДН не заполнен ни квартал KV, ни месяц MONTH", measure)
                )
            if not r.iddokt:
                errors.append(FormatError(101, "IDDOKT", BAS_MEASURE, "Для ДН не заполнен СНИЛС врача IDDOKT", measure))
            else:
                problem = _snils_problem(r.iddokt)
                if problem:
                    errors.append(FormatError(problem[0], "IDDOKT", BAS_MEASURE, "СНИЛС врача " + problem[1], measure))
                else:
                    doctor = r.iddokt.translate(_SNILS_SEPARATORS)
        else:
            # A yearly measure is planned by month; a MIS that plans by quarter (ProMed's QUART) gives KV alone, and
            # one that plans by year (Ufa) nothing: the entry keeps the quarter, or no period.
            if month is not None:
                quarter = (month - 1) // 3 + 1  # a KV beside a month is not read (the month says more)
            elif r.month:
                pass  # 102 MONTH above
            elif r.kv:
                if r.kv in _QUARTERS:
                    quarter = _QUARTERS[r.kv]
                else:
                    errors.append(
                        FormatError(102, "KV", BAS_MEASURE, f"Квартал KV «{_show(r.kv)}»: от 1 до 4", measure)
                    )
            elif not r.period_free:
                errors.append(FormatError(101, "MONTH", BAS_MEASURE, "Не заполнен месяц MONTH", measure))
        return measure, month, quarter, doctor, errors

    def validate(self, record: ListRecord) -> tuple[tuple, list[FormatError]]:
        """The staging row (STAGING_COLUMNS order) and the record's format errors."""
        if record.group != self._group or self._person is None:
            self._group = record.group
            self._person = self._well_formed_person(record) or self._check_person(record)
            person_errors = self._person[1]
        else:
            person_errors = []  # already reported with the first measure line of this person
        person, first_errors = self._person
        measure, month, quarter, doctor, measure_errors = self._well_formed_measure(record) or self._check_measure(
            record
        )
        ok = not first_errors and not measure_errors
        n_zap, enp, snils, fam, im, ot, key, sex, birth_date, uch, tel = person
        row = (
            self.upload_id,
            n_zap,
            measure,
            month,
            quarter,
            doctor,
            enp,
            snils,
            fam,
            im,
            ot,
            key,
            sex,
            birth_date,
            uch,
            tel,
            ok,
            "",
            False,
        )
        return row, list(person_errors) + measure_errors if person_errors else measure_errors
