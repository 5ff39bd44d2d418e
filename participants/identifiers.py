"""Check digits of SNILS and ENP and the name key used for identification [formats.md]."""

from __future__ import annotations

import re

_NON_DIGIT = re.compile(r"[^0-9]")  # ASCII digits only
_NAME_NOISE = re.compile(r"[\s\-‐–—.'`]+")


def snils_clean(value: str | None) -> str:
    """Digits of a SNILS written ``NNN-NNN-NNN NN`` or plain."""
    return _NON_DIGIT.sub("", value or "")


def snils_check_number(first9: str) -> int:
    total = sum(int(d) * w for d, w in zip(first9, range(9, 0, -1), strict=True))
    if total < 100:
        return total
    if total in (100, 101):
        return 0
    check = total % 101
    return 0 if check == 100 else check


def snils_is_valid(value: str) -> bool:
    """True for 11 digits whose check number holds; numbers up to 001-001-998 carry no check."""
    digits = snils_clean(value)
    if len(digits) != 11 or digits != (value or "").replace("-", "").replace(" ", ""):
        return False
    if int(digits[:9]) <= 1001998:
        return True
    return snils_check_number(digits[:9]) == int(digits[9:])


def snils_with_check(first9: str) -> str:
    return f"{first9}{snils_check_number(first9):02d}"


def snils_format(digits: str) -> str:
    return f"{digits[0:3]}-{digits[3:6]}-{digits[6:9]} {digits[9:11]}" if len(digits) == 11 else digits


def enp_check_digit(first15: str) -> int:
    """The 16th digit of an ENP: digits d15 d13 ... d1 form A, d14 ... d2 form B, sum digits of B and 2A."""
    d = first15
    a = "".join(d[i] for i in range(14, -1, -2))  # d15 d13 ... d1 (1-based odd positions, right to left)
    b = "".join(d[i] for i in range(13, 0, -2))  # d14 d12 ... d2
    s = sum(int(c) for c in b + str(2 * int(a)))
    return (10 - s % 10) % 10


def enp_is_valid(value: str) -> bool:
    """16 ASCII digits (``str.isdigit`` alone would take other scripts' digits) with a correct check digit."""
    return (
        len(value or "") == 16 and value.isascii() and value.isdigit() and enp_check_digit(value[:15]) == int(value[15])
    )


def enp_with_check(first15: str) -> str:
    return f"{first15}{enp_check_digit(first15)}"


# --- The same checks for files of a million records: 16 / 11 ASCII digits already checked by the caller -----------

# Digit sum of 2d for each ASCII digit d. The digits of 2A (A: the number d15 d13 ... d1) sum to the digit sums of
# its doubled digits (a doubled digit carries 1 exactly when it is 5 or more: 2d - 10 + 1 = ds(2d) + carry kept).
_DOUBLED_DIGIT_SUM = bytes.maketrans(b"0123456789", bytes(2 * d // 10 + 2 * d % 10 for d in range(10)))


def enp_digits_ok(enp: str) -> bool:
    """enp_check_digit on 16 ASCII digits in bytes operations (tests compare the two on random numbers)."""
    b = enp.encode()
    total = sum(b[14::-2].translate(_DOUBLED_DIGIT_SUM)) + sum(b[13::-2]) - 48 * 7
    return (10 - total % 10) % 10 == b[15] - 48


def snils_digits_ok(snils: str) -> bool:
    """snils_is_valid on 11 ASCII digits in bytes operations; numbers up to 001-001-998 carry no check."""
    if snils[:9] <= "001001998":
        return True
    b = snils.encode()
    total = 9 * b[0] + 8 * b[1] + 7 * b[2] + 6 * b[3] + 5 * b[4] + 4 * b[5] + 3 * b[6] + 2 * b[7] + b[8] - 48 * 45
    check = total if total < 100 else total % 101 % 100  # 100 and 101 give 0, as does a remainder of 100
    return check == (b[9] - 48) * 10 + b[10] - 48


def name_part_key(value: str | None) -> str:
    """Case-, ё/е- and whitespace-insensitive form of one name part."""
    return _NAME_NOISE.sub("", (value or "").upper().replace("Ё", "Е"))


def name_key(last: str | None, first: str | None, patronymic: str | None) -> str:
    return f"{name_part_key(last)}|{name_part_key(first)}|{name_part_key(patronymic)}"


# The same fold in SQL, for set-based identification over staged rows.
SQL_NAME_PART_KEY = "regexp_replace(replace(upper(coalesce({col}, '')), 'Ё', 'Е'), '[\\s\\-‐–—.''`]+', '', 'g')"


def sql_name_key(last: str, first: str, patronymic: str) -> str:
    parts = [SQL_NAME_PART_KEY.format(col=c) for c in (last, first, patronymic)]
    return " || '|' || ".join(parts)
