"""The canonical XML reader of ZL_LIST [formats.md]: streamed with lxml iterparse through the safe XML helpers.

The file is read once, element by element (ZGLV, then each SV_PR_MER, cleared as soon as it is read), so memory
does not grow with the file. A DOCTYPE or entity declaration, a syntax error, a wrong root or a missing header
rejects the whole file (901). Unknown elements are ignored, so a regional extension with extra tags still reads;
a variant with other tag names is a subclass overriding the TAG_* names and registered with ``register_reader``.
"""

from __future__ import annotations

from collections.abc import Iterator

from omsportal.xmlsafe import XmlFileError, iter_records, xml_source

from .lists import MEASURE_FIELDS, PERSON_FIELDS, FileRejected, ListHeader, ListRecord, Sniffed, register_reader


class ZlListXmlReader:
    """ZL_LIST / ZGLV / SV_PR_MER / SV_PL_MER as in formats.md."""

    format = "XML"
    dialect = ""
    TAG_ROOT = "ZL_LIST"
    TAG_HEADER = "ZGLV"
    TAG_RECORD = "SV_PR_MER"
    TAG_MEASURE = "SV_PL_MER"
    PERSON_TAGS = PERSON_FIELDS  # N_ZAP, ENP, SNILS, FAM, IM, OT, W, DR, UCH, TEL: the ListRecord order
    MEASURE_TAGS = MEASURE_FIELDS  # DISP, MONTH, KV, IDDOKT

    def __init__(self, sniffed: Sniffed):
        try:
            self._source = xml_source(sniffed.stream, head=sniffed.head, size=sniffed.size)
        except XmlFileError as exc:
            raise FileRejected.from_error(exc) from exc
        self._elements = iter_records(self._source, root=self.TAG_ROOT, tags=(self.TAG_HEADER, self.TAG_RECORD))
        self._header: ListHeader | None = None
        self._pending = None

    @property
    def bytes_total(self) -> int:
        return self._source.size

    @property
    def bytes_read(self) -> int:
        return self._source.bytes_read

    def _next_element(self):
        try:
            return next(self._elements, None)
        except XmlFileError as exc:
            raise FileRejected.from_error(exc) from exc

    def header(self) -> ListHeader:
        if self._header is not None:
            return self._header
        element = self._next_element()
        if element is None or element.tag != self.TAG_HEADER:
            line = element.sourceline if element is not None else None
            raise FileRejected(
                901, f"Нет заголовка <{self.TAG_HEADER}> в начале файла: файл не соответствует схеме.", line=line
            )
        values = {child.tag: (child.text or "").strip() for child in element if isinstance(child.tag, str)}
        for required in ("CODE_MO", "YEAR"):
            if not values.get(required):
                raise FileRejected(
                    901,
                    f"В заголовке <{self.TAG_HEADER}> не заполнено обязательное поле {required} "
                    f"(строка {element.sourceline}).",
                    field=required,
                    line=element.sourceline,
                )
        self._header = ListHeader(
            code_mo=values.get("CODE_MO", ""),
            year=values.get("YEAR", ""),
            filename=values.get("FILENAME", "")[:100],
            version=values.get("VERSION", ""),
            date=values.get("DATA", ""),
        )
        return self._header

    def records(self) -> Iterator[ListRecord]:
        self.header()
        tag_record, tag_measure = self.TAG_RECORD, self.TAG_MEASURE
        person_index = {tag: position for position, tag in enumerate(self.PERSON_TAGS)}.get
        measure_index = {tag: position for position, tag in enumerate(self.MEASURE_TAGS)}.get
        group = 0
        while (element := self._next_element()) is not None:
            if element.tag != tag_record:
                raise FileRejected(
                    901, f"Повторный заголовок <{element.tag}> в строке {element.sourceline}.", line=element.sourceline
                )
            group += 1
            values = [""] * 10  # PERSON_TAGS order
            measures: list[list[str]] = []
            for child in element:
                tag = child.tag
                position = person_index(tag)
                if position is not None:
                    text = child.text
                    if text:
                        values[position] = text.strip()
                elif tag == tag_measure:
                    measure = ["", "", "", ""]  # MEASURE_TAGS order; the last of a repeated tag wins
                    for item in child:
                        position = measure_index(item.tag)
                        if position is not None:
                            text = item.text
                            if text:
                                measure[position] = text.strip()
                    measures.append(measure)
            line = element.sourceline
            if not measures:
                yield ListRecord(group, line, *values, has_measure=False)
            for disp, month, kv, iddokt in measures:
                yield ListRecord(group, line, *values, disp, month, kv, iddokt)
        if group == 0:
            raise FileRejected(
                901, f"Файл не содержит ни одной записи <{self.TAG_RECORD}>: файл не соответствует схеме."
            )


def _detect(sniffed: Sniffed) -> bool:
    return not sniffed.extra.get("xlsx") and sniffed.head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


def register() -> None:
    register_reader("zl_list_xml", _detect, ZlListXmlReader, first=False)


def zl_list_xml_bytes(*, code_mo: str, year: int, filename: str, date, records) -> bytes:
    """A ZL_LIST file in the canonical format (UTF-8). ``records``: dicts with the tag names of a person
    (N_ZAP, ENP, SNILS, FAM, IM, OT, W, DR, UCH, TEL; empty ones left out) and ``measures``, a list of dicts
    with DISP, MONTH, KV, IDDOKT. Used by the demo year; the readers above read it back."""
    from lxml import etree

    root = etree.Element(ZlListXmlReader.TAG_ROOT)
    header = etree.SubElement(root, ZlListXmlReader.TAG_HEADER)
    for tag, value in (("VERSION", "1.0"), ("DATA", date.isoformat()), ("FILENAME", filename),
                       ("CODE_MO", code_mo), ("YEAR", str(year))):  # fmt: skip
        etree.SubElement(header, tag).text = value
    for record in records:
        element = etree.SubElement(root, ZlListXmlReader.TAG_RECORD)
        for tag in ZlListXmlReader.PERSON_TAGS:
            value = record.get(tag)
            if value not in (None, ""):
                etree.SubElement(element, tag).text = str(value)
        for measure in record.get("measures", ()):
            sub = etree.SubElement(element, ZlListXmlReader.TAG_MEASURE)
            for tag in ZlListXmlReader.MEASURE_TAGS:
                value = measure.get(tag)
                if value not in (None, ""):
                    etree.SubElement(sub, tag).text = str(value)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
