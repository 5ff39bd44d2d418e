"""One interface for every reader of a list file (ZL_LIST): the header, then one record per measure line.

A reader (:class:`ListReader`) turns a file into the same :class:`ListRecord` objects whatever the format:
XML (UTF-8 or windows-1251 as declared), CSV (UTF-8 with BOM or windows-1251, ``;``) and XLSX, each also inside
a ``.zip``. :func:`open_list_file` sniffs the content (never trusts the name) and picks the reader from
:data:`READERS`, so a regional variant of the XML is a small separate reader registered with
:func:`register_reader`. File-level problems raise :class:`FileRejected` (901/902 of formats.md) with a Russian
message naming the line; record-level problems are the validator's business (screening.formats.validation).
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Protocol

# Biggest uncompressed member accepted from a zip (a 4-million-record list is about 2 GB of XML).
MAX_MEMBER_BYTES = 4 * 1024**3
HEAD_BYTES = 64 * 1024
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


class FileRejected(Exception):
    """The whole file is rejected (901: unreadable / not the schema; 902: header does not match the uploader)."""

    def __init__(self, code: int, message: str, *, field: str = "", line: int | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.line = line

    def __str__(self) -> str:
        return self.message


@dataclass(slots=True)
class ListHeader:
    """ZGLV of the list (for CSV/XLSX: the CODE_MO and YEAR columns, empty when the file has none)."""

    code_mo: str = ""
    year: str = ""
    filename: str = ""
    version: str = ""
    date: str = ""


@dataclass(slots=True)
class ListRecord:
    """One measure line of a person record: raw stripped strings exactly as written in the file.

    An XML SV_PR_MER with two SV_PL_MER gives two records with the same ``group``; a CSV/XLSX row is one record
    (rows of one person share N_ZAP). ``has_measure`` is False for a person record with no SV_PL_MER at all.
    """

    group: int
    line: int | None
    n_zap: str = ""
    enp: str = ""
    snils: str = ""
    fam: str = ""
    im: str = ""
    ot: str = ""
    w: str = ""
    dr: str = ""
    uch: str = ""
    tel: str = ""
    disp: str = ""
    month: str = ""
    kv: str = ""
    iddokt: str = ""
    has_measure: bool = True


PERSON_FIELDS = ("N_ZAP", "ENP", "SNILS", "FAM", "IM", "OT", "W", "DR", "UCH", "TEL")
MEASURE_FIELDS = ("DISP", "MONTH", "KV", "IDDOKT")


class ListReader(Protocol):
    """What every list reader offers: its format name, the header, the records, and bytes read for progress."""

    format: str

    def header(self) -> ListHeader: ...

    def records(self) -> Iterator[ListRecord]: ...

    @property
    def bytes_total(self) -> int: ...

    @property
    def bytes_read(self) -> int: ...


@dataclass
class Sniffed:
    """An opened upload: the (unzipped) binary stream, its size, the first bytes, and the member name if zipped."""

    stream: IO[bytes]
    size: int
    head: bytes
    member_name: str = ""
    extra: dict = field(default_factory=dict)


ReaderFactory = Callable[[Sniffed], ListReader]
# name → (detector, factory); tried in order, the first detector that says yes wins.
READERS: list[tuple[str, Callable[[Sniffed], bool], ReaderFactory]] = []


def register_reader(name: str, detect: Callable[[Sniffed], bool], factory: ReaderFactory, *, first: bool = True):
    """Add a reader; a regional variant registers itself first so it wins over the canonical one."""
    entry = (name, detect, factory)
    READERS[:] = [r for r in READERS if r[0] != name]
    if first:
        READERS.insert(0, entry)
    else:
        READERS.append(entry)


def _is_xlsx_zip(archive: zipfile.ZipFile) -> bool:
    names = set(archive.namelist())
    return "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names)


@contextmanager
def open_list_file(fileobj: IO[bytes]) -> Iterator[ListReader]:
    """Open an uploaded list (seekable binary) and yield the reader for its format, or raise FileRejected(901)."""
    _ensure_default_readers()
    fileobj.seek(0)
    magic = fileobj.read(4)
    fileobj.seek(0, 2)
    size = fileobj.tell()
    fileobj.seek(0)
    if size == 0:
        raise FileRejected(901, "Файл пуст.")
    if magic not in _ZIP_MAGIC:
        head = fileobj.read(HEAD_BYTES)
        fileobj.seek(0)
        yield _pick(Sniffed(stream=fileobj, size=size, head=head))
        return
    try:
        archive = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, OSError) as exc:
        raise FileRejected(901, "Архив ZIP повреждён и не может быть прочитан.") from exc
    if _is_xlsx_zip(archive):
        archive.close()
        fileobj.seek(0)
        yield _pick(Sniffed(stream=fileobj, size=size, head=b"PK\x03\x04", extra={"xlsx": True}))
        return
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        if len(members) != 1:
            raise FileRejected(901, f"Архив должен содержать ровно один файл списка, а содержит {len(members)}.")
        info = members[0]
        if info.flag_bits & 0x1:
            raise FileRejected(901, "Архив защищён паролем; загрузите архив без пароля.")
        if info.file_size > MAX_MEMBER_BYTES:
            raise FileRejected(901, "Файл в архиве слишком велик.")
        try:
            with archive.open(info) as member:
                head = member.read(4)
                if head in _ZIP_MAGIC:
                    # An XLSX inside a zip: openpyxl needs random access, so spool the member to disk.
                    with tempfile.TemporaryFile() as spooled:
                        spooled.write(head)
                        _copy_limited(member, spooled, MAX_MEMBER_BYTES)
                        spooled.seek(0)
                        is_xlsx = _looks_like_xlsx(spooled)
                        spooled.seek(0)
                        sniffed = Sniffed(
                            stream=spooled,
                            size=info.file_size,
                            head=head,
                            member_name=info.filename,
                            extra={"xlsx": is_xlsx},
                        )
                        yield _pick(sniffed)
                    return
                head += member.read(HEAD_BYTES - len(head))
                stream = _PrefixedStream(member, head)
                yield _pick(Sniffed(stream=stream, size=info.file_size, head=head, member_name=info.filename))
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
            raise FileRejected(901, f"Архив ZIP повреждён: {exc}") from exc


def _looks_like_xlsx(stream: IO[bytes]) -> bool:
    try:
        with zipfile.ZipFile(stream) as inner:
            return _is_xlsx_zip(inner)
    except zipfile.BadZipFile:
        return False


def _copy_limited(src: IO[bytes], dst: IO[bytes], limit: int) -> None:
    copied = 0
    while chunk := src.read(1 << 20):
        copied += len(chunk)
        if copied > limit:
            raise FileRejected(901, "Файл в архиве слишком велик.")
        dst.write(chunk)


def _pick(sniffed: Sniffed) -> ListReader:
    for _name, detect, factory in READERS:
        if detect(sniffed):
            return factory(sniffed)
    raise FileRejected(901, "Формат файла не распознан: ожидается XML, CSV или XLSX (можно в архиве ZIP).")


class _PrefixedStream(io.RawIOBase):
    """A non-seekable binary stream that first returns an already read head, then the rest of ``raw``."""

    def __init__(self, raw: IO[bytes], head: bytes):
        self._raw = raw
        self._head = head

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._head:
            if size is None or size < 0:
                chunk, self._head = self._head + self._raw.read(), b""
                return chunk
            chunk, self._head = self._head[:size], self._head[size:]
            return chunk
        return self._raw.read(size)

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


_defaults_loaded = False


def _ensure_default_readers() -> None:
    global _defaults_loaded
    if _defaults_loaded:
        return
    _defaults_loaded = True
    from . import zl_list_tabular, zl_list_xml

    # Canonical readers go last, so a regional variant registered with first=True is tried before them.
    zl_list_xml.register()
    zl_list_tabular.register()
