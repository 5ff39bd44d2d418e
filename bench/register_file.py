"""A minimal REGISTER writer for the bench, used only when participants.demo.generator is not available."""

from __future__ import annotations

import datetime
import random
from xml.sax.saxutils import escape

from participants.identifiers import enp_with_check, snils_format, snils_with_check

SURNAMES = ("Иванов", "Петров", "Сидоров", "Кузнецов", "Смирнов", "Попов", "Соколов", "Лебедев", "Козлов", "Новиков")
NAMES_M = ("Александр", "Сергей", "Андрей", "Дмитрий", "Алексей", "Иван", "Михаил", "Николай")
NAMES_F = ("Елена", "Ольга", "Наталья", "Татьяна", "Ирина", "Светлана", "Мария", "Анна")
PATRONYMICS = ("Александров", "Сергеев", "Андреев", "Иванов", "Петров", "Николаев")


def write_register_xml(path, *, persons: int, seed: int, mos: int = 8, smos: int = 3, region: str = "27") -> None:
    """Write a REGISTER file of ``persons`` valid records, streaming (constant memory)."""
    rng = random.Random(seed)
    epoch = datetime.date(1930, 1, 1).toordinal()
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<REGISTER>\n')
        out.write(
            f"<ZGLV><VERSION>1.0</VERSION><DATA>2026-11-01</DATA><FILENAME>RS{region}_261101</FILENAME>"
            "<OKATO>08000</OKATO></ZGLV>\n"
        )
        chunk = []
        for n in range(1, persons + 1):
            male = rng.random() < 0.46
            last = rng.choice(SURNAMES) + ("" if male else "а")
            first = rng.choice(NAMES_M if male else NAMES_F)
            patronymic = rng.choice(PATRONYMICS) + ("ич" if male else "на")
            birth = datetime.date.fromordinal(epoch + rng.randrange(0, 34000))
            enp = enp_with_check(f"{region}{n:013d}")
            snils = snils_format(snils_with_check(f"{100000000 + n * 7:09d}")) if rng.random() < 0.9 else ""
            smo = f"{region}{1 + rng.randrange(smos):03d}"
            mo = f"{region}{1 + rng.randrange(mos):04d}"
            chunk.append(
                f"<PERS><N_ZAP>{n}</N_ZAP><ENP>{enp}</ENP><SNILS>{snils}</SNILS><FAM>{escape(last)}</FAM>"
                f"<IM>{first}</IM><OT>{patronymic}</OT><W>{1 if male else 2}</W><DR>{birth.isoformat()}</DR>"
                f"<SMO>{smo}</SMO><D_BEG>2012-05-01</D_BEG><D_END/><CODE_MO>{mo}</CODE_MO>"
                f"<UCH>{1 + rng.randrange(30)}</UCH><DATEZ>2019-02-11</DATEZ><DS_DATE/>"
                f"<ADRES>г. Хабаровск, ул. Ленина, д. {1 + rng.randrange(200)}</ADRES>"
                f"<TEL>+7914{rng.randrange(10**7):07d}</TEL><EMAIL/></PERS>\n"
            )
            if len(chunk) >= 10_000:
                out.write("".join(chunk))
                chunk.clear()
        out.write("".join(chunk))
        out.write("</REGISTER>\n")
