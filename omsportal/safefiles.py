"""Opening an uploaded file the same safe way for every reader: what it is, its encoding, zip, CSV, digits.

One rule for all readers (lists, the register, stage events, plans; the coming informing and invoice files):

- :func:`open_upload` looks at the content, never the name: XML, CSV (text), XLSX, or a zip with one of them.
  An empty or whitespace-only file, UTF-16/UTF-32 (with or without a BOM), an old ``.xls``, a PDF, a RAR/7z/gzip
  archive, an ODS or XLSB workbook, an encrypted, truncated or damaged zip, a zip with several files, a zip inside a
  zip, a member named with a path that leaves its folder, a member over the size or compression-ratio limit: each
  is refused with code 901 and a Russian sentence that says what was found and what to do;
- text is UTF-8 (a BOM is optional) or windows-1251; :class:`CsvRows` decides at the first line that is not plain
  ASCII and refuses a file that mixes the two, a NUL byte, an unclosed quote, a line or a value over its limit;
- digits are ASCII digits only (:func:`ascii_digits`): "²", "١٢" or "１２" are not numbers in an exchange file.

Limits come from :mod:`omsportal.filelimits`.
"""

from __future__ import annotations

import codecs
import csv
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO

from .filelimits import (
    RATIO_APPLIES_ABOVE_BYTES,
    BadFile,
    Deadline,
    FileLimits,
    LimitedStream,
    LimitExceeded,
    file_limits,
)

HEAD_BYTES = 64 * 1024
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
# Compression methods Python's zipfile reads: stored, deflate, bzip2, lzma.
ZIP_METHODS = {0, 8, 12, 14}
# Entries a zip made on a Mac or by Windows Explorer may carry besides the file itself.
_ZIP_JUNK = re.compile(r"(^|/)(__MACOSX/|\._|\.DS_Store$|Thumbs\.db$|desktop\.ini$)", re.IGNORECASE)

# --- digits -----------------------------------------------------------------------------------------------------


def ascii_digits(value: str) -> bool:
    """True for a non-empty string of the digits 0–9 only (``str.isdigit`` also takes "²", "١٢", "１２")."""
    return value.isascii() and value.isdigit()


def positive_int(value: str, *, maximum: int = 2_147_483_647) -> int | None:
    """The value as an integer 1..maximum when it is written with ASCII digits only, else None."""
    if not ascii_digits(value) or len(value) > len(str(maximum)):
        return None
    number = int(value)
    return number if 0 < number <= maximum else None


# --- what a file is ------------------------------------------------------------------------------------------------

_FOREIGN = (
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "Файл в формате Excel 97–2003 (.xls) или книга, защищённая паролем. Сохраните таблицу как «Книга Excel "
        "(.xlsx)» без пароля или как CSV и загрузите снова.",
    ),
    (b"%PDF", "Файл PDF: портал читает XML, CSV или XLSX. Выгрузите данные из вашей системы в одном из этих форматов."),
    (b"Rar!", "Архив RAR: портал принимает только ZIP. Упакуйте файл в ZIP."),
    (b"7z\xbc\xaf\x27\x1c", "Архив 7z: портал принимает только ZIP. Упакуйте файл в ZIP."),
    (b"\x1f\x8b", "Архив gzip: портал принимает только ZIP. Упакуйте файл в ZIP."),
    (b"{\\rtf", "Документ RTF: портал читает XML, CSV или XLSX."),
)
_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)
_WHITESPACE = b" \t\r\n\x0b\x0c"


def wide_encoding(head: bytes) -> str | None:
    """'UTF-16' / 'UTF-32' when the bytes are in a two- or four-byte encoding (with or without a BOM), else None."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    sample = head[:4096]
    if len(sample) < 4 or sample.count(0) * 4 < len(sample):
        return None
    # Text in UTF-16 has a zero in every other byte (Latin, digits, markup); UTF-32 in three bytes of four.
    if sample[1::4].count(0) * 10 >= len(sample[1::4]) * 9 and sample[2::4].count(0) * 10 >= len(sample[2::4]) * 9:
        return "UTF-32"
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if max(even, odd) * 10 >= (len(sample) // 2) * 7 and min(even, odd) * 10 <= len(sample) // 2:
        return "UTF-16"
    return None


def wide_encoding_message(name: str) -> str:
    return (
        f"Файл в кодировке {name}: портал читает UTF-8 и windows-1251. Сохраните файл в UTF-8 (в Excel: «CSV UTF-8», "
        "в Блокноте: кодировка UTF-8) и загрузите снова."
    )


def sniff(head: bytes) -> str:
    """'xml', 'csv' (text) or 'zip' from the first bytes of a file; a file of another kind is refused (901)."""
    if head.startswith(ZIP_MAGIC):
        return "zip"
    for magic, message in _FOREIGN:
        if head.startswith(magic):
            raise BadFile(message)
    wide = wide_encoding(head)
    if wide:
        raise BadFile(wide_encoding_message(wide), line=1)
    text = head[3:] if head.startswith(codecs.BOM_UTF8) else head
    stripped = text.lstrip(_WHITESPACE)
    if not stripped:
        raise BadFile("Файл не содержит данных: в нём только пробелы и переводы строк.")
    if stripped.startswith(b"<"):
        return "xml"
    if b"\x00" in text[:4096]:
        raise BadFile("Файл двоичный и не распознан: портал читает XML, CSV или XLSX (можно в архиве ZIP).")
    return "csv"


KIND_LABELS = {"xml": "XML", "csv": "CSV (текст)", "xlsx": "XLSX"}


@dataclass
class Upload:
    """An opened upload: its kind, a guarded stream of its bytes (or, for XLSX, a seekable file) and facts for
    messages and progress. ``member_name`` is set when the file came out of a zip."""

    kind: str  # "xml" | "csv" | "xlsx"
    size: int
    head: bytes
    limits: FileLimits
    deadline: Deadline
    stream: LimitedStream | None = None  # xml / csv
    file: IO[bytes] | None = None  # xlsx: seekable
    member_name: str = ""
    extra: dict = field(default_factory=dict)


def shown_name(name: str, limit: int = 80) -> str:
    """A member name fit for a message: no control characters, not too long."""
    clean = re.sub(r"[\x00-\x1f\x7f]", "?", name)
    return clean if len(clean) <= limit else clean[:limit] + "…"


def _zip_entries(fileobj: IO[bytes], size: int) -> int | None:
    """Entries the zip's end record announces (before zipfile reads the directory), None when there is no end."""
    tail_size = min(size, 65_535 + 22)
    fileobj.seek(size - tail_size)
    tail = fileobj.read(tail_size)
    fileobj.seek(0)
    position = tail.rfind(b"PK\x05\x06")
    if position < 0 or len(tail) < position + 22:
        return None
    return int.from_bytes(tail[position + 10 : position + 12], "little")


def open_zip(fileobj: IO[bytes], *, size: int, limits: FileLimits, label: str = "Архив ZIP") -> zipfile.ZipFile:
    """A zip checked before its directory is read: present end record, not too many entries, readable."""
    entries = _zip_entries(fileobj, size)
    if entries is None:
        raise BadFile(
            f"{label} обрывается или повреждён: нет оглавления архива. Файл передан не полностью — "
            "загрузите его ещё раз."
        )
    too_many = f"{label} содержит слишком много файлов"
    if entries > limits.max_zip_members:
        raise LimitExceeded(
            too_many, setting="OMS_ZIP_MAX_MEMBERS", limit=limits.max_zip_members, actual=entries, unit="count"
        )
    try:
        archive = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise BadFile(f"{label} повреждён и не читается ({str(exc)[:100]}). Упакуйте файл заново.") from exc
    entries = len(archive.infolist())  # a zip64 end record may say 0xFFFF: the directory tells
    if entries > limits.max_zip_members:
        archive.close()
        raise LimitExceeded(
            too_many, setting="OMS_ZIP_MAX_MEMBERS", limit=limits.max_zip_members, actual=entries, unit="count"
        )
    return archive


def check_member(info: zipfile.ZipInfo, limits: FileLimits, *, label: str = "Архив") -> None:
    """A zipped member may be read: not encrypted, a known method, a name inside the archive, sizes in limits."""
    name = info.filename
    shown = shown_name(name)
    if info.flag_bits & 0x1:
        raise BadFile(f"{label}: файл «{shown}» зашифрован (архив с паролем). Загрузите архив без пароля.")
    if info.compress_type not in ZIP_METHODS:
        raise BadFile(
            f"{label}: файл «{shown}» сжат методом {info.compress_type}, который портал не читает. "
            "Упакуйте файл обычным ZIP (Deflate)."
        )
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or ".." in parts or re.match(r"^[A-Za-z]:", name) or "\x00" in name:
        raise BadFile(f"{label}: имя файла «{shown}» содержит путь за пределы архива. Такой архив не принимается.")
    if info.file_size > limits.max_bytes:
        raise LimitExceeded(
            f"файл «{shown}» в архиве распаковывается в слишком большой объём",
            setting="OMS_FILE_MAX_BYTES",
            limit=limits.max_bytes,
            actual=info.file_size,
            unit="bytes",
            where=label,
        )
    packed = max(info.compress_size, 1)
    if info.file_size > RATIO_APPLIES_ABOVE_BYTES and info.file_size > limits.max_zip_ratio * packed:
        raise LimitExceeded(
            f"файл «{shown}» сжат сильнее, чем сжимаются настоящие файлы (похоже на «zip-бомбу»)",
            setting="OMS_ZIP_MAX_RATIO",
            limit=limits.max_zip_ratio,
            actual=info.file_size / max(info.compress_size, 1),
            unit="ratio",
            where=label,
        )


def is_xlsx_archive(archive: zipfile.ZipFile) -> bool:
    names = set(archive.namelist())
    return "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names)


def foreign_archive_message(archive: zipfile.ZipFile) -> str | None:
    """A Russian sentence when a zip is a document of another kind (ODS, XLSB, DOCX), else None."""
    names = set(archive.namelist())
    if "xl/workbook.bin" in names:
        return "Двоичная книга Excel (.xlsb): сохраните её как «Книга Excel (.xlsx)» и загрузите снова."
    if "mimetype" in names and "content.xml" in names:
        return (
            "Таблица OpenDocument (.ods, LibreOffice/OpenOffice): сохраните её как «Книга Excel (.xlsx)» или CSV "
            "и загрузите снова."
        )
    if "word/document.xml" in names:
        return "Документ Word (.docx): портал читает XML, CSV или XLSX."
    return None


@contextmanager
def open_upload(
    fileobj: IO[bytes],
    *,
    accept: tuple[str, ...] = ("xml", "csv", "xlsx"),
    limits: FileLimits | None = None,
    deadline: Deadline | None = None,
) -> Iterator[Upload]:
    """Open a stored upload (seekable binary) for reading under the limits; refuse what cannot be read (901).

    ``accept`` names the kinds the caller reads; another kind is refused with a message listing the accepted ones.
    """
    limits = limits or file_limits()
    deadline = deadline or Deadline(limits.read_seconds)
    fileobj.seek(0, 2)
    size = fileobj.tell()
    fileobj.seek(0)
    if size == 0:
        raise BadFile("Файл пуст (0 байт).")
    if size > limits.max_bytes:
        raise LimitExceeded(
            "файл больше допустимого", setting="OMS_FILE_MAX_BYTES", limit=limits.max_bytes, actual=size, unit="bytes"
        )
    head = fileobj.read(HEAD_BYTES)
    fileobj.seek(0)
    kind = sniff(head)
    if kind != "zip":
        _require(kind, accept)
        stream = LimitedStream(fileobj, limits=limits, deadline=deadline)
        yield Upload(kind=kind, size=size, head=head, limits=limits, deadline=deadline, stream=stream)
        return
    archive = open_zip(fileobj, size=size, limits=limits)
    with archive:
        foreign = foreign_archive_message(archive)
        if foreign:
            raise BadFile(foreign)
        if is_xlsx_archive(archive):
            _require("xlsx", accept)
            fileobj.seek(0)
            yield Upload(kind="xlsx", size=size, head=head, limits=limits, deadline=deadline, file=fileobj)
            return
        members = [i for i in archive.infolist() if not i.is_dir() and not _ZIP_JUNK.search(i.filename)]
        if not members:
            raise BadFile("Архив ZIP пуст: в нём нет ни одного файла.")
        if len(members) > 1:
            names = ", ".join(f"«{shown_name(m.filename, 40)}»" for m in members[:5])
            raise BadFile(
                f"Архив должен содержать ровно один файл, а содержит {len(members)}: {names}"
                f"{'…' if len(members) > 5 else ''}. Загрузите каждый файл отдельно."
            )
        info = members[0]
        check_member(info, limits)
        name = shown_name(info.filename)
        try:
            member = archive.open(info)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError) as exc:
            raise BadFile(f"Архив ZIP повреждён: файл «{name}» не открывается ({str(exc)[:100]}).") from exc
        with member:
            stream = LimitedStream(member, limits=limits, deadline=deadline, name=name)
            member_head = stream.peek(HEAD_BYTES)
            if not member_head:
                raise BadFile(f"Файл «{name}» в архиве пуст (0 байт).")
            def member_upload(kind: str, **where) -> Upload:
                return Upload(
                    kind=kind,
                    size=info.file_size,
                    head=member_head,
                    limits=limits,
                    deadline=deadline,
                    member_name=info.filename,
                    **where,
                )

            if not member_head.startswith(ZIP_MAGIC):
                kind = sniff(member_head)
                _require(kind, accept, member=name)
                yield member_upload(kind, stream=stream)
                return
            # A zip inside the zip: an XLSX (itself a zip) is read from a spooled copy; any other archive is refused.
            stream.record_limit = 0
            with tempfile.TemporaryFile(prefix="upload_") as spooled:
                shutil.copyfileobj(stream, spooled, 1 << 20)
                inner = open_zip(spooled, size=spooled.tell(), limits=limits, label="Вложенный архив")
                with inner:
                    nested_xlsx = is_xlsx_archive(inner)
                if not nested_xlsx:
                    raise BadFile(
                        f"В архиве лежит другой архив «{name}». Распакуйте вложенный архив и загрузите один файл "
                        "(XML, CSV или XLSX, можно в одном ZIP)."
                    )
                _require("xlsx", accept)
                spooled.seek(0)
                yield member_upload("xlsx", file=spooled)


def _require(kind: str, accept: tuple[str, ...], *, member: str = "") -> None:
    if kind in accept:
        return
    where = f"Файл «{member}» в архиве" if member else "Файл"
    wanted = " или ".join(KIND_LABELS[k] for k in accept)
    raise BadFile(
        f"{where} — {KIND_LABELS.get(kind, kind)}, а здесь принимается {wanted}"
        f"{' (можно в архиве ZIP)' if 'xlsx' not in accept or len(accept) > 1 else ''}."
    )


# --- storing an upload -------------------------------------------------------------------------------------------

UPLOAD_EXTENSIONS = (".xml", ".zip", ".csv", ".xlsx")


def stored_name(original_name: str, *, prefix: str) -> str:
    """The name an upload is stored under: never the uploader's text (a path, CR LF, a guessable name), but
    ``<prefix>_<timestamp>_<random>.<known extension>``. Uploads are never served as media; this is a second line."""
    import os
    import secrets

    from django.utils import timezone

    extension = os.path.splitext(original_name or "")[1].lower()
    if extension not in UPLOAD_EXTENSIONS:
        extension = ".bin"
    safe_prefix = re.sub(r"[^0-9A-Za-z_-]", "_", prefix)[:40] or "upload"
    return f"{safe_prefix}_{timezone.now():%Y%m%d_%H%M%S}_{secrets.token_hex(8)}{extension}"


# --- text: UTF-8 or windows-1251 ------------------------------------------------------------------------------------

_RUSSIAN = re.compile("[А-Яа-яЁё]")


def utf8_russian(data: bytes) -> bool:
    """True when ``data`` is valid UTF-8 holding Russian letters (a cut multi-byte character at the end is allowed).

    Russian text in windows-1251 is practically never valid UTF-8 (its lower-case letters are UTF-8 lead bytes not
    followed by continuation bytes), so this tells the two apart on one line or one chunk.
    """
    if data.isascii():
        return False
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.reason != "unexpected end of data" or exc.start < len(data) - 3:
            return False
        text = data[: exc.start].decode("utf-8", "ignore")
    return bool(_RUSSIAN.search(text))


_LINE_END = re.compile(rb"\r\n|\n|\r")


class CsvRows:
    """Rows of a CSV upload: (line number, stripped values), streamed with every limit of the file.

    - encoding: UTF-8 with or without a BOM, or windows-1251, decided at the first line that is not plain ASCII; a
      later line in the other encoding, or a byte windows-1251 does not have, refuses the file naming the line;
    - separator: ``;`` (also ``,`` or a tab, taken from the header line when it has more of them than of ``;``);
    - lines end with CR LF, LF or CR, mixed in one file if need be; a line longer than OMS_FILE_MAX_RECORD_BYTES or a
      value longer than OMS_FILE_MAX_VALUE_CHARS refuses the file (901) while it is read;
    - an unclosed quote (which would swallow the lines after it into one value), a stray quote after a closing one,
      a NUL byte, a value past column OMS_SHEET_MAX_COLUMNS: refused, naming the line.
    """

    def __init__(self, stream: LimitedStream, *, separators: tuple[str, ...] = (";", ",", "\t")):
        self.stream = stream
        self.limits = stream.limits
        self.separators = separators
        self.encoding: str | None = None  # 'utf-8' / 'windows-1251' once a non-ASCII line was seen
        self._decided_at = 0
        self.line = 0  # physical lines read so far
        self.names: list[str] = []

    # -- physical lines ---------------------------------------------------------------------------------------
    def _byte_lines(self) -> Iterator[bytes]:
        limit = self.limits.max_record_bytes
        pending = b""
        first = True
        while True:
            chunk = self.stream.read(1 << 16)
            if first and chunk:
                first = False
                if chunk.startswith(codecs.BOM_UTF8):
                    chunk = chunk[3:]
                    self.encoding, self._decided_at = "utf-8", 1
            data = pending + chunk
            start = 0
            for match in _LINE_END.finditer(data):
                if match.group() == b"\r" and match.end() == len(data) and chunk:
                    break  # a CR at the end of a chunk may be the first half of CR LF
                yield data[start : match.start()]
                start = match.end()
            pending = data[start:]
            if len(pending) > limit:
                raise LimitExceeded(
                    "строка длиннее допустимого",
                    setting="OMS_FILE_MAX_RECORD_BYTES",
                    limit=limit,
                    actual=len(pending),
                    unit="bytes",
                    at_least=True,
                    where=f"Строка {self.line + 1}",
                    hint="Файл не загружен: проверьте, что строки разделены переводами строк и кавычки закрыты.",
                    line=self.line + 1,
                )
            self.stream.mark_record()
            if not chunk:
                if pending.strip(b"\r"):
                    yield pending.rstrip(b"\r")
                return

    def _decode(self, raw: bytes) -> str:
        number = self.line
        if raw.isascii():
            text = raw.decode("ascii")
        elif self.encoding is None:
            try:
                text = raw.decode("utf-8")
                self.encoding = "utf-8"
            except UnicodeDecodeError:
                text = self._cp1251(raw, number)
                self.encoding = "windows-1251"
            self._decided_at = number
        elif self.encoding == "utf-8":
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise BadFile(
                    f"Строка {number}: байты не в кодировке UTF-8, в которой записано начало файла (строка "
                    f"{self._decided_at}); похоже, часть файла в windows-1251. Сохраните весь файл заново в одной "
                    "кодировке (UTF-8).",
                    line=number,
                ) from exc
        else:
            if utf8_russian(raw):
                raise BadFile(
                    f"Строка {number} записана в UTF-8, а строка {self._decided_at} — в windows-1251: файл смешивает "
                    "кодировки. Сохраните весь файл заново в одной кодировке (UTF-8).",
                    line=number,
                )
            text = self._cp1251(raw, number)
        if "\x00" in text:
            raise BadFile(
                f"Строка {number}: символ NUL (нулевой байт) — файл повреждён или это не текстовый файл. "
                "Сохраните CSV заново из таблицы.",
                line=number,
            )
        return text

    @staticmethod
    def _cp1251(raw: bytes, number: int) -> str:
        try:
            return raw.decode("windows-1251")
        except UnicodeDecodeError as exc:
            raise BadFile(
                f"Строка {number}: байт 0x{raw[exc.start]:02X} не является символом ни UTF-8, ни windows-1251. "
                "Сохраните CSV в UTF-8 или windows-1251.",
                line=number,
            ) from exc

    def _text_lines(self) -> Iterator[str]:
        for raw in self._byte_lines():
            self.line += 1
            yield self._decode(raw)

    # -- rows ----------------------------------------------------------------------------------------------------
    def _separator(self, first_line: str) -> str:
        best = self.separators[0]
        for candidate in self.separators[1:]:
            if first_line.count(candidate) > first_line.count(best):
                best = candidate
        return best

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        lines = self._text_lines()
        first = next(lines, None)
        if first is None:
            return
        separator = self._separator(first)

        def physical() -> Iterator[str]:
            yield first
            yield from lines

        reader = csv.reader(physical(), delimiter=separator, quotechar='"', strict=True)
        max_value, max_columns = self.limits.max_value_chars, self.limits.max_sheet_columns
        csv.field_size_limit(max(self.limits.max_record_bytes, max_value) + 1)
        consumed = 0
        while True:
            start = consumed + 1
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise BadFile(self._csv_error(exc, start), line=start) from exc
            consumed = self.line
            if consumed > start:
                raise BadFile(
                    f"Строка {start}: кавычка «\"» открыта и не закрыта — строки {start}–{consumed} прочитались бы "
                    "как одно значение. Закройте кавычку или уберите её (значение не может содержать перевод строки).",
                    line=start,
                )
            values = [value.strip() for value in values]
            if len(values) > max_columns and any(values[max_columns:]):
                last = max(index for index, value in enumerate(values) if value) + 1
                raise LimitExceeded(
                    "значение в столбце, номер которого больше допустимого",
                    setting="OMS_SHEET_MAX_COLUMNS",
                    limit=max_columns,
                    actual=last,
                    unit="count",
                    where=f"Строка {start}",
                    line=start,
                )
            if not self.names:
                self.names = [value.upper().lstrip("\ufeff") for value in values]
            for index, value in enumerate(values):
                if len(value) > max_value:
                    column = self.names[index] if index < len(self.names) and self.names[index] else f"№ {index + 1}"
                    raise LimitExceeded(
                        f"значение в столбце {column} длиннее допустимого",
                        setting="OMS_FILE_MAX_VALUE_CHARS",
                        limit=max_value,
                        actual=len(value),
                        unit="chars",
                        where=f"Строка {start}",
                        line=start,
                        field=column,
                    )
            yield start, values

    def _csv_error(self, exc: csv.Error, line: int) -> str:
        text = str(exc)
        if "unexpected end of data" in text:
            return (
                f"Строка {line}: кавычка «\"» открыта и не закрыта до конца файла. Закройте кавычку или уберите её."
            )
        if "expected after" in text:
            return (
                f"Строка {line}: после закрывающей кавычки «\"» должен идти разделитель столбцов. Заключайте в "
                "кавычки значение целиком или уберите кавычки."
            )
        if "field larger than field limit" in text:
            return f"Строка {line}: значение длиннее допустимого ({self.limits.max_value_chars} символов)."
        return f"Строка {line}: ошибка формата CSV ({text})."

