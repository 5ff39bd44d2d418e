"""Safe streaming of uploaded XML exchange files: zip or plain, UTF-8 or windows-1251, no DTD, no entities.

Every exchange format (REGISTER, ZL_LIST, EVENTS, ...) reads its file through :func:`open_xml`
and :func:`iter_records`:

- a ``.zip`` holding exactly one file is opened transparently (detected by content, not by name);
- the encoding is the one the XML declaration names; only UTF-8 and windows-1251 are accepted
  [formats.md], so the prolog can be checked as ASCII bytes;
- any ``<!DOCTYPE`` / ``<!ENTITY`` is refused before lxml sees the body (XXE, billion laughs), and
  lxml runs with entity resolution, DTD loading and network access off as a second line;
- elements are cleared as soon as the caller has read them, so memory does not grow with the file;
- problems become :class:`XmlFileError` with a Russian message naming the line (FLK code 901).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

from lxml import etree

# How much of the file start is inspected for the XML declaration and a DOCTYPE.
HEAD_BYTES = 64 * 1024
ALLOWED_ENCODINGS = {"utf-8": "UTF-8", "utf8": "UTF-8", "windows-1251": "windows-1251", "cp1251": "windows-1251"}

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_BOMS = {
    b"\xff\xfe\x00\x00": "UTF-32",
    b"\x00\x00\xfe\xff": "UTF-32",
    b"\xff\xfe": "UTF-16",
    b"\xfe\xff": "UTF-16",
}
_DECLARATION = re.compile(rb"^(?:\xef\xbb\xbf)?\s*<\?xml\s[^>]*?\?>")
_ENCODING = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._\-]+)["']""")
_ROOT_START = re.compile(rb"<[A-Za-z_\x80-\xff]")
_FORBIDDEN = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


class XmlFileError(Exception):
    """The whole file is rejected (FLK code 901): not a readable, well-formed, DTD-free XML file."""

    code = "901"

    def __init__(self, message: str, *, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line

    def __str__(self) -> str:
        return self.message


class CountingReader:
    """A binary reader that first serves an already read head, then the rest, counting bytes delivered."""

    def __init__(self, raw: IO[bytes], head: bytes = b""):
        self._raw = raw
        self._head = head
        self.bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        if self._head:
            if size is None or size < 0 or size >= len(self._head):
                chunk, self._head = self._head, b""
                if size is not None and size >= 0:
                    rest = size - len(chunk)
                    if rest:
                        chunk += self._raw.read(rest)
                else:
                    chunk += self._raw.read()
            else:
                chunk, self._head = self._head[:size], self._head[size:]
        else:
            chunk = self._raw.read(size)
        self.bytes_read += len(chunk)
        return chunk


@dataclass
class XmlSource:
    """An opened XML file: the byte stream for the parser, its size and, for a zip, the member's name."""

    stream: CountingReader
    size: int
    encoding: str
    member_name: str = ""

    @property
    def bytes_read(self) -> int:
        return self.stream.bytes_read


def _line_of(data: bytes, pos: int) -> int:
    return data.count(b"\n", 0, pos) + 1


def check_prolog(head: bytes) -> str:
    """Check the file start: a supported encoding and no DOCTYPE/ENTITY declarations. Returns the encoding."""
    for bom, name in _BOMS.items():
        if head.startswith(bom):
            raise XmlFileError(f"Кодировка {name} не поддерживается: допустимы UTF-8 и windows-1251.", line=1)
    encoding = "UTF-8"
    declaration = _DECLARATION.match(head)
    if declaration:
        found = _ENCODING.search(declaration.group(0))
        if found:
            declared = found.group(1).decode("ascii").lower()
            if declared not in ALLOWED_ENCODINGS:
                raise XmlFileError(
                    f"Кодировка «{found.group(1).decode('ascii')}», указанная в объявлении XML, не поддерживается: "
                    "допустимы UTF-8 и windows-1251.",
                    line=1,
                )
            encoding = ALLOWED_ENCODINGS[declared]
    root = _ROOT_START.search(head)
    prolog = head[: root.start()] if root else head
    forbidden = _FORBIDDEN.search(prolog)
    if forbidden:
        raise XmlFileError(
            f"Строка {_line_of(prolog, forbidden.start())}: файл содержит объявление "
            f"<!{forbidden.group(1).decode('ascii').upper()}>. Объявления DTD и сущностей запрещены, "
            "файл не загружен.",
            line=_line_of(prolog, forbidden.start()),
        )
    return encoding


@contextmanager
def open_xml(fileobj: IO[bytes], *, size: int | None = None) -> Iterator[XmlSource]:
    """Open a seekable binary upload (plain XML or a zip with one file) for safe streaming."""
    magic = fileobj.read(4)
    fileobj.seek(0)
    if magic in _ZIP_MAGIC:
        try:
            archive = zipfile.ZipFile(fileobj)
        except (zipfile.BadZipFile, OSError) as exc:
            raise XmlFileError("Архив ZIP повреждён и не может быть прочитан.") from exc
        with archive:
            members = [info for info in archive.infolist() if not info.is_dir()]
            if len(members) != 1:
                raise XmlFileError(f"Архив должен содержать ровно один XML-файл, а содержит {len(members)}.")
            info = members[0]
            if info.flag_bits & 0x1:
                raise XmlFileError("Архив защищён паролем; загрузите архив без пароля.")
            try:
                with archive.open(info) as member:
                    yield _source(member, size=info.file_size, member_name=info.filename)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
                raise XmlFileError(f"Архив ZIP повреждён: {exc}") from exc
    else:
        if size is None:
            fileobj.seek(0, 2)
            size = fileobj.tell()
            fileobj.seek(0)
        yield _source(fileobj, size=size)


def _source(raw: IO[bytes], *, size: int, member_name: str = "") -> XmlSource:
    head = raw.read(HEAD_BYTES)
    if not head.strip():
        raise XmlFileError("Файл пуст.")
    encoding = check_prolog(head)
    return XmlSource(stream=CountingReader(raw, head), size=size, encoding=encoding, member_name=member_name)


def syntax_error_message(exc: etree.XMLSyntaxError) -> str:
    line = exc.lineno or (exc.position[0] if exc.position else 0)
    where = f"строка {line}" if line else "начало файла"
    return f"Файл не является корректным XML ({where}): {exc.msg}. Файл не загружен."


def iter_records(source: XmlSource, *, root: str, tags: tuple[str, ...]) -> Iterator[etree._Element]:
    """Yield each element named in ``tags`` when it is complete; it is freed after the caller moves on.

    Raises :class:`XmlFileError` for a wrong root element, a DOCTYPE, or a well-formedness error.
    """
    context = etree.iterparse(
        source.stream,
        events=("end",),
        tag=tags,
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        dtd_validation=False,
        huge_tree=True,
        remove_comments=True,
        remove_pis=True,
    )
    checked = False
    try:
        for _event, element in context:
            if not checked:
                _check_tree(element.getroottree(), root)
                checked = True
            yield element
            # Free what has been read: the element's children and every earlier sibling.
            element.clear(keep_tail=False)
            parent = element.getparent()
            if parent is not None:
                while element.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as exc:
        raise XmlFileError(syntax_error_message(exc), line=exc.lineno) from exc
    if not checked:
        if context.root is None:
            raise XmlFileError("Файл не содержит XML-документа.")
        _check_tree(context.root.getroottree(), root)


def _check_tree(tree: etree._ElementTree, root: str) -> None:
    docinfo = tree.docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise XmlFileError(
            "Файл содержит объявление <!DOCTYPE>. Объявления DTD и сущностей запрещены, файл не загружен."
        )
    actual = tree.getroot().tag
    if actual != root:
        raise XmlFileError(f"Корневой элемент файла <{actual}>, ожидался <{root}>. Файл не загружен.", line=1)


def child_texts(element: etree._Element) -> dict[str, str]:
    """Stripped text of each direct child, by tag (the last one wins); an empty element gives ''."""
    return {child.tag: (child.text or "").strip() for child in element if isinstance(child.tag, str)}
