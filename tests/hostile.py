"""Small generated hostile and broken files, built in memory: each class of bad file the readers must refuse (or read
in bounded time) with a clear answer. A dimension bomb is a few kilobytes; a compression bomb is compressed on the
fly, never written out at full size."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"


def zip_of(members: dict[str, bytes], *, compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def zip_bomb(unpacked: int, *, name: str = "list.xml", prefix: bytes = b"<ZL_LIST><ZGLV>") -> bytes:
    """A zip whose one member unpacks to ``unpacked`` bytes (mostly zeros after a prefix), built chunk by chunk."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo(name)
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=unpacked > 2**31) as member:
            member.write(prefix)
            chunk = b"\x20" * (1 << 20)
            left = unpacked - len(prefix)
            while left > 0:
                member.write(chunk[: min(left, len(chunk))])
                left -= len(chunk)
    return buffer.getvalue()


def encrypted_zip(name: str = "list.xml", data: bytes = b"<ZL_LIST/>") -> bytes:
    """A zip whose member has the 'encrypted' flag (bit 0) set, as a password-protected archive has."""
    raw = bytearray(zip_of({name: data}, compression=zipfile.ZIP_STORED))
    # general purpose flag: local header at offset 6, central directory entry at its offset + 8
    raw[6] |= 0x1
    central = raw.rfind(b"PK\x01\x02")
    raw[central + 8] |= 0x1
    return bytes(raw)


def zip_with_method(method: int, name: str = "list.xml", data: bytes = b"<ZL_LIST/>") -> bytes:
    """A stored zip whose headers claim another compression method (e.g. 9, Deflate64, which Python cannot read)."""
    raw = bytearray(zip_of({name: data}, compression=zipfile.ZIP_STORED))
    struct.pack_into("<H", raw, 8, method)
    central = raw.rfind(b"PK\x01\x02")
    struct.pack_into("<H", raw, central + 10, method)
    return bytes(raw)


def corrupt_member(data: bytes = b"<ZL_LIST>" + b"x" * 5000 + b"</ZL_LIST>") -> bytes:
    """A zip whose deflate stream is damaged in the middle (the directory is intact)."""
    raw = bytearray(zip_of({"list.xml": data}))
    start = 30 + len("list.xml")
    for i in range(start + 5, start + 25):
        raw[i] ^= 0xFF
    return bytes(raw)


# --- XLSX ------------------------------------------------------------------------------------------------------


def _content_types(extra: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        f"{extra}</Types>"
    ).encode()


def xlsx(
    sheet_xml: bytes | str,
    *,
    shared: list[str] | bytes | None = None,
    first_sheet_chart: bool = False,
    styles: bytes | None = None,
    extra: dict[str, bytes] | None = None,
) -> bytes:
    """A minimal workbook written by hand (so the sheet XML can be anything: a bomb, broken, with a DOCTYPE)."""
    if isinstance(sheet_xml, str):
        sheet_xml = sheet_xml.encode()
    sheets = '<sheet name="Список" sheetId="1" r:id="rId1"/>'
    rels = f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    if first_sheet_chart:
        sheets = '<sheet name="Диаграмма1" sheetId="2" r:id="rId9"/>' + sheets
        rels += f'<Relationship Id="rId9" Type="{REL}/chartsheet" Target="chartsheets/sheet1.xml"/>'
    members = {
        "[Content_Types].xml": _content_types(),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG}">'
            f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ).encode(),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>{sheets}'
            "</sheets></workbook>"
        ).encode(),
        "xl/worksheets/sheet1.xml": sheet_xml,
    }
    if first_sheet_chart:
        members["xl/chartsheets/sheet1.xml"] = f'<chartsheet xmlns="{MAIN}"/>'.encode()
    if shared is not None:
        rels += f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
        if isinstance(shared, bytes):
            members["xl/sharedStrings.xml"] = shared
        else:
            items = "".join(f"<si><t>{s}</t></si>" for s in shared)
            members["xl/sharedStrings.xml"] = f'<sst xmlns="{MAIN}">{items}</sst>'.encode()
    if styles is not None:
        rels += f'<Relationship Id="rId3" Type="{REL}/styles" Target="styles.xml"/>'
        members["xl/styles.xml"] = styles
    members["xl/_rels/workbook.xml.rels"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG}">{rels}</Relationships>'
    ).encode()
    members.update(extra or {})
    return zip_of(members)


def sheet(rows: str, *, dimension: str = "A1:B2") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><dimension ref="{dimension}"/>'
        f"<sheetData>{rows}</sheetData></worksheet>"
    )


def inline_row(number: int, values: list[str], *, first_column: int = 1) -> str:
    cells = []
    for offset, value in enumerate(values):
        column = first_column + offset
        letters = ""
        while column:
            column, rest = divmod(column - 1, 26)
            letters = chr(65 + rest) + letters
        cells.append(f'<c r="{letters}{number}" t="inlineStr"><is><t>{value}</t></is></c>')
    return f'<row r="{number}">{"".join(cells)}</row>'


def dimension_bomb(
    *, last_row: int = 999_999_999, dimension: str = "A1:ZZZ999999999", column: str = "A", header=None
) -> bytes:
    """The workbook of the issue (a few KB): the sheet declares a huge dimension and has one cell far down."""
    rows = inline_row(1, header or ["N_ZAP", "ENP", "FAM", "IM", "W", "DR", "DISP"]) + (
        f'<row r="{last_row}"><c r="{column}{last_row}" t="inlineStr"><is><t>1</t></is></c></row>'
    )
    return xlsx(sheet(rows, dimension=dimension))


def shared_strings_bomb(count: int) -> bytes:
    """A workbook whose shared-strings table holds ``count`` strings (it compresses to almost nothing)."""
    items = b"<si><t>x</t></si>" * count
    shared = f'<sst xmlns="{MAIN}">'.encode() + items + b"</sst>"
    return xlsx(sheet(inline_row(1, ["N_ZAP"])), shared=shared)


def deflate_size(data: bytes) -> int:
    return len(zlib.compress(data))
