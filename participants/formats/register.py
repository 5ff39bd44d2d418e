"""Reader of the REGISTER file (РС ЕРЗ): streams ``PERS`` records, validates each, reports errors by N_ZAP.

The canonical format is described in docs/formats/register.md and docs/formats/register.xsd.
Values stay strings in their canonical form (dates ``YYYY-MM-DD``, SNILS as 11 digits) because they go
straight into a PostgreSQL COPY; ISO dates compare correctly as strings.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import asdict, dataclass

from django.utils import timezone

from omsportal.safefiles import ascii_digits, positive_int
from omsportal.xmlsafe import XmlFileError, XmlSource, child_texts, iter_records
from participants.identifiers import enp_digits_ok, snils_digits_ok
from participants.models import Sex

ROOT = "REGISTER"
HEADER = "ZGLV"
RECORD = "PERS"

# FLK codes [formats.md "Protocol"].
MISSING = "101"
INVALID = "102"
SNILS_CHECK = "103"
ENP_CHECK = "104"
DUPLICATE = "601"

# N_ZAP is stored as integer: at most 9 digits, so any positive number written in ASCII digits fits.
MAX_N_ZAP = 999_999_999
# Column lengths of participants.Person / periods.
MAX_LEN = {"FAM": 100, "IM": 100, "OT": 100, "ADRES": 500, "TEL": 50, "EMAIL": 200, "UCH": 20}
REQUIRED = ("ENP", "FAM", "IM", "W", "DR", "SMO", "D_BEG", "CODE_MO", "DATEZ")
SEX_VALUES = {str(value) for value in Sex.values}


@dataclass(slots=True)
class RegisterHeader:
    """The ZGLV header: format version, file date, file name and the region's OKATO."""

    version: str
    date: str
    filename: str
    okato: str


@dataclass(slots=True)
class RegisterRecord:
    """One valid PERS: a person, the policy period and the attachment; optional values are '' or None."""

    n_zap: int
    line: int
    enp: str
    snils: str | None
    last_name: str
    first_name: str
    patronymic: str
    sex: str
    birth_date: str
    smo_code: str
    d_beg: str
    d_end: str | None
    mo_code: str
    district: str
    datez: str
    death_date: str | None
    address: str
    phone: str
    email: str


@dataclass(slots=True)
class RecordError:
    """Why one PERS is rejected: N_ZAP, the field (IM_POL), the FLK code and a Russian reason."""

    n_zap: int | None
    field: str
    code: str
    reason: str
    line: int | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def is_iso_date(value: str) -> bool:
    if len(value) != 10 or value[4] != "-" or value[7] != "-" or not value.isascii():
        return False
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _digits(value: str, length: int) -> bool:
    return len(value) == length and ascii_digits(value)


class RegisterReader:
    """Iterate a REGISTER source: yields a :class:`RegisterRecord` or a list of :class:`RecordError` per PERS.

    ``header`` is set once ZGLV has been read; a file whose PERS come before a valid ZGLV is rejected whole.
    """

    def __init__(self, source: XmlSource, *, today: datetime.date | None = None):
        self.source = source
        self.header: RegisterHeader | None = None
        self.records_read = 0
        self._today = (today or timezone.localdate()).isoformat()

    def __iter__(self) -> Iterator[RegisterRecord | list[RecordError]]:
        for element in iter_records(self.source, root=ROOT, tags=(HEADER, RECORD)):
            if element.tag == HEADER:
                self.header = self._header(child_texts(element))
                continue
            if self.header is None:
                raise XmlFileError(
                    f"Строка {element.sourceline}: запись PERS стоит раньше заголовка ZGLV. Файл не загружен.",
                    line=element.sourceline,
                )
            self.records_read += 1
            yield self.validate(child_texts(element), line=element.sourceline, ordinal=self.records_read)
        if self.header is None:
            raise XmlFileError("В файле нет заголовка ZGLV. Файл не загружен.")

    @staticmethod
    def _header(values: dict[str, str]) -> RegisterHeader:
        date = values.get("DATA", "")
        if not is_iso_date(date):
            raise XmlFileError("В заголовке ZGLV нет даты файла DATA в виде ГГГГ-ММ-ДД. Файл не загружен.")
        return RegisterHeader(
            version=values.get("VERSION", ""),
            date=date,
            filename=values.get("FILENAME", ""),
            okato=values.get("OKATO", ""),
        )

    def validate(self, v: dict[str, str], *, line: int | None, ordinal: int) -> RegisterRecord | list[RecordError]:
        """Check one PERS's fields; returns the record or every problem found in it."""
        errors: list[RecordError] = []
        raw_n_zap = v.get("N_ZAP", "")
        # ASCII digits only ("²" and "١٢" are digits to str.isdigit), and positive [docs/formats/register.md].
        n_zap: int | None = positive_int(raw_n_zap, maximum=MAX_N_ZAP)

        def bad(field: str, code: str, reason: str) -> None:
            errors.append(RecordError(n_zap, field, code, reason, line))

        if n_zap is None:
            if raw_n_zap:
                bad(
                    "N_ZAP",
                    INVALID,
                    f"N_ZAP «{raw_n_zap[:20]}» не является номером записи: нужно целое число от 1 до {MAX_N_ZAP} "
                    f"цифрами 0–9 (запись № {ordinal} в файле)",
                )
            else:
                bad("N_ZAP", MISSING, f"Не заполнен номер записи N_ZAP (запись № {ordinal} в файле)")
        for field in REQUIRED:
            if not v.get(field):
                bad(field, MISSING, f"Не заполнено обязательное поле {field}")
        for field, limit in MAX_LEN.items():
            if len(v.get(field, "")) > limit:
                bad(field, INVALID, f"Значение поля {field} длиннее {limit} символов")

        enp = v.get("ENP", "")
        if enp:
            if not _digits(enp, 16):
                bad("ENP", INVALID, "ЕНП должен состоять из 16 цифр")
            elif not enp_digits_ok(enp):
                bad("ENP", ENP_CHECK, "Неверный контрольный разряд ЕНП")

        snils = v.get("SNILS", "")
        if snils:
            plain = snils.replace("-", "").replace(" ", "")
            if not _digits(plain, 11):
                bad("SNILS", INVALID, "СНИЛС должен состоять из 11 цифр (NNN-NNN-NNN NN или без разделителей)")
            elif not snils_digits_ok(plain):
                bad("SNILS", SNILS_CHECK, "Неверное контрольное число СНИЛС")
            snils = plain

        sex = v.get("W", "")
        if sex and sex not in SEX_VALUES:
            bad("W", INVALID, "Пол W должен быть 1 (мужской) или 2 (женский)")

        dates: dict[str, str | None] = {}
        for field in ("DR", "D_BEG", "D_END", "DATEZ", "DS_DATE"):
            value = v.get(field, "")
            if value and not is_iso_date(value):
                bad(field, INVALID, f"Дата {field} «{value[:20]}» не в виде ГГГГ-ММ-ДД")
                value = ""
            dates[field] = value or None
        dr, d_beg, d_end, ds_date = dates["DR"], dates["D_BEG"], dates["D_END"], dates["DS_DATE"]
        if dr and dr > self._today:
            bad("DR", INVALID, "Дата рождения DR позже сегодняшнего дня")
        if d_beg and d_end and d_end < d_beg:
            bad("D_END", INVALID, "Дата окончания полиса D_END раньше даты начала D_BEG")
        if dr and ds_date and ds_date < dr:
            bad("DS_DATE", INVALID, "Дата смерти DS_DATE раньше даты рождения DR")

        smo = v.get("SMO", "")
        if smo and not _digits(smo, 5):
            bad("SMO", INVALID, "Код СМО (F002) должен состоять из 5 цифр")
        mo = v.get("CODE_MO", "")
        if mo and not _digits(mo, 6):
            bad("CODE_MO", INVALID, "Код МО (F003) должен состоять из 6 цифр")

        if errors:
            return errors
        return RegisterRecord(
            n_zap=n_zap,
            line=line or 0,
            enp=enp,
            snils=snils or None,
            last_name=v["FAM"],
            first_name=v["IM"],
            patronymic=v.get("OT", ""),
            sex=sex,
            birth_date=dr,
            smo_code=smo,
            d_beg=d_beg,
            d_end=d_end,
            mo_code=mo,
            district=v.get("UCH", ""),
            datez=dates["DATEZ"],
            death_date=ds_date,
            address=v.get("ADRES", ""),
            phone=v.get("TEL", ""),
            email=v.get("EMAIL", ""),
        )
