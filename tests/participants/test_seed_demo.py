"""The synthetic demo region: generator, seed_demo / demo_logins commands, REGISTER writer."""

from __future__ import annotations

import datetime
import io
import itertools
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from lxml import etree

from participants.demo import names as N
from participants.demo.generator import (
    AGE_PYRAMID,
    MAX_PERSONS,
    demo_users,
    iter_persons,
    region_spec,
    write_register_xml,
)
from participants.identifiers import enp_is_valid, name_key, snils_clean, snils_format, snils_is_valid
from participants.models import (
    AttachmentPeriod,
    District,
    DistrictKind,
    MedicalWorker,
    Organization,
    Person,
    PolicyPeriod,
    Role,
    User,
)

AS_OF = datetime.date(2026, 6, 1)


def _persons(count: int, *, seed: int = 1, mos: int = 8, smos: int = 3, as_of=AS_OF) -> list:
    spec = region_spec(seed=seed, mos=mos, smos=smos, region_code="27")
    return list(iter_persons(spec=spec, persons=count, as_of=as_of))


def _age(birth: datetime.date, on: datetime.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


@pytest.fixture(scope="module")
def sample():
    return _persons(20_000)


# --- generator -------------------------------------------------------------------------------------


class TestRegionSpec:
    def test_same_seed_gives_the_same_organizations(self):
        assert region_spec(seed=5, region_code="27") == region_spec(seed=5, region_code="27")
        codes = {o.code for o in region_spec(seed=5, region_code="27").mos}
        assert codes != {o.code for o in region_spec(seed=6, region_code="27").mos}

    def test_codes_follow_f003_f002_and_the_region(self):
        spec = region_spec(seed=3, mos=12, smos=4, region_code="27")
        assert len(spec.mos) == 12 and len(spec.smos) == 4
        assert all(len(m.code) == 6 and m.code.startswith("27") and m.code.isdigit() for m in spec.mos)
        assert all(len(s.code) == 5 and s.code.startswith("27") and s.code.isdigit() for s in spec.smos)
        assert len({m.code for m in spec.mos}) == 12 and len({s.code for s in spec.smos}) == 4
        assert spec.other_region_smo_codes
        assert all(len(c) == 5 and not c.startswith("27") for c in spec.other_region_smo_codes)
        assert spec.fund.kind == "FUND" and spec.ministry.kind == "MINISTRY"

    def test_first_mos_do_not_depend_on_how_many_are_asked(self):
        few, many = region_spec(seed=2, mos=3, region_code="27"), region_spec(seed=2, mos=10, region_code="27")
        assert [m.code for m in few.mos] == [m.code for m in many.mos[:3]]

    def test_every_mo_has_districts_of_known_kinds_with_a_doctor(self):
        spec = region_spec(seed=1, mos=20, region_code="27")
        kinds = {k.value for k in DistrictKind}
        for mo in spec.mos:
            assert mo.districts
            assert {d.kind for d in mo.districts} <= kinds
            assert all(snils_is_valid(d.worker_snils) and d.worker_name for d in mo.districts)
        assert {d.kind for mo in spec.mos for d in mo.districts} == kinds
        assert all(o.address and o.hours and o.phone and o.responsible_name for o in spec.organizations)

    def test_demo_users_one_per_role_per_organization(self):
        spec = region_spec(seed=1, mos=2, smos=2, region_code="27")
        users = {u.username: u for u in demo_users(spec)}
        for mo in spec.mos:
            assert users[f"mo_{mo.code}"].role == Role.MO_STAFF
        for smo in spec.smos:
            for level in (1, 2, 3):
                assert users[f"smo_{smo.code}_l{level}"].role == f"SMO_L{level}"
        assert users["fund"].role == Role.FUND and users["ministry"].role == Role.MINISTRY
        assert users["admin"].role == Role.ADMIN and users["admin"].org_kind is None
        assert len(users) == 2 + 2 * 3 + 3


class TestPersons:
    def test_same_seed_gives_the_same_persons(self):
        first = [p.as_dict() for p in _persons(500)]
        assert first == [p.as_dict() for p in _persons(500)]
        assert [p["enp"] for p in first] != [p.enp for p in _persons(500, seed=2)]

    def test_it_refuses_more_persons_than_identifiers_allow(self):
        spec = region_spec(seed=1, region_code="27")
        with pytest.raises(ValueError, match="persons"):
            next(iter_persons(spec=spec, persons=MAX_PERSONS + 1, as_of=AS_OF))
        assert MAX_PERSONS > 8_000_000  # the largest regions (domain §11)

    def test_check_digits_hold_and_identifiers_are_unique(self, sample):
        assert all(enp_is_valid(p.enp) and p.enp.startswith("27") for p in sample)
        snils = [p.snils for p in sample if p.snils]
        assert all(snils_is_valid(s) for s in snils)
        assert len(snils) > 0.95 * len(sample)
        assert len({p.enp for p in sample}) == len(sample)
        assert len(set(snils)) == len(snils)

    def test_name_forms_agree_with_sex(self, sample):
        male_first = {m[0] for m in N.MALE_NAMES}
        female_first = {f[0] for f in N.FEMALE_NAMES}
        male_surnames = set(N.SURNAMES)
        female_surnames = {N.female_surname(s) for s in N.SURNAMES}
        for p in sample:
            if p.sex == 1:
                assert p.first_name in male_first and p.last_name in male_surnames
                assert p.patronymic == "" or p.patronymic.endswith("ич")
            else:
                assert p.first_name in female_first and p.last_name in female_surnames
                assert p.patronymic == "" or p.patronymic.endswith("на")
        females = [p for p in sample if p.sex == 2]
        assert any(p.last_name.endswith("ова") for p in females)
        assert any(p.last_name.endswith("ская") for p in females)
        assert len({p.last_name for p in sample}) >= 150

    def test_female_surnames(self):
        assert N.female_surname("Иванов") == "Иванова"
        assert N.female_surname("Ильин") == "Ильина"
        assert N.female_surname("Покровский") == "Покровская"
        assert N.female_surname("Толстой") == "Толстая"
        assert N.female_surname("Шевченко") == "Шевченко"
        assert N.female_surname("Цой") == "Цой"
        assert N.female_surname("Черных") == "Черных"

    def test_age_pyramid_is_russias(self, sample):
        ages = [_age(p.birth_date, AS_OF) for p in sample]
        children = sum(a < 18 for a in ages) / len(ages)
        elderly = sum(a >= 65 for a in ages) / len(ages)
        assert 0.19 < children < 0.25  # ~22 % of Russia is under 18
        assert 0.13 < elderly < 0.21
        assert sum(a < 1 for a in ages) > 0 and max(ages) >= 90
        total = sum(g[2] for g in AGE_PYRAMID)
        for lo, hi, weight, _male, _death in AGE_PYRAMID:
            share = sum(lo <= a < hi for a in ages) / len(ages)
            assert abs(share - weight / total) < 0.015, (lo, hi, share)
        old = [p for p, a in zip(sample, ages, strict=True) if a >= 75]
        assert sum(p.sex == 2 for p in old) / len(old) > 0.65  # women outlive men

    def test_periods_are_consistent(self, sample):
        for p in sample:
            for periods, start in ((p.policies, 1), (p.attachments, 2)):
                assert periods[0][start] >= p.birth_date
                assert sum(x[-1] is None for x in periods) <= 1
                for earlier, later in itertools.pairwise(periods):
                    assert earlier[-1] is not None
                    assert later[start] == earlier[-1] + datetime.timedelta(days=1)
                for x in periods:
                    assert x[-1] is None or x[-1] >= x[start]
                    assert x[start] < AS_OF

    def test_deceased_other_region_opt_out_and_history_are_present(self, sample):
        spec = region_spec(seed=1, region_code="27")
        local = {s.code for s in spec.smos}
        dead = [p for p in sample if p.death_date]
        assert 0.005 < len(dead) / len(sample) < 0.05
        for p in dead:
            assert p.policies[-1][2] == p.death_date and p.attachments[-1][3] == p.death_date
            assert p.birth_date <= p.death_date < AS_OF and p.opt_out_date is None
        other = [p for p in sample if p.policies[-1][0] not in local]
        assert 0.005 < len(other) / len(sample) < 0.03
        assert {p.policies[-1][0] for p in other} <= set(spec.other_region_smo_codes)
        opted = [p for p in sample if p.opt_out_date]
        assert 0.01 < len(opted) / len(sample) < 0.03
        assert all(p.birth_date <= p.opt_out_date < AS_OF for p in opted)
        changed_smo = [p for p in sample if len(p.policies) > 1 and p.policies[0][0] != p.policies[-1][0]]
        changed_mo = [p for p in sample if len(p.attachments) > 1 and p.attachments[0][0] != p.attachments[-1][0]]
        assert 0.08 < len(changed_smo) / len(sample) < 0.16
        assert 0.08 < len(changed_mo) / len(sample) < 0.2

    def test_contacts_look_like_the_krai(self, sample):
        phones = [p.phone for p in sample if p.phone]
        assert 0.6 < len(phones) / len(sample) < 0.85
        assert all(ph.startswith("+79") and len(ph) == 12 and ph[1:].isdigit() for ph in phones)
        emails = [p.email for p in sample if p.email]
        assert 0.05 < len(emails) / len(sample) < 0.25
        assert all("@example." in e for e in emails)
        assert all(p.address.startswith("Хабаровский край, ") for p in sample)
        assert any("г. Комсомольск-на-Амуре" in p.address for p in sample)

    def test_lists_have_variety_and_nothing_to_escape_in_xml(self):
        assert len(set(N.SURNAMES)) >= 150
        assert len({m[0] for m in N.MALE_NAMES}) >= 60 and len({f[0] for f in N.FEMALE_NAMES}) >= 60
        texts = [*N.SURNAMES, *(N.female_surname(s) for s in N.SURNAMES), *(x for m in N.MALE_NAMES for x in m[:3])]
        texts += [f[0] for f in N.FEMALE_NAMES] + [s[0] for s in N.SETTLEMENTS] + list(N.COMMON_STREETS)
        texts += [s for streets in N.STREETS.values() for s in streets]
        assert not [t for t in texts if set(t) & set("&<>\t\n\\")]


# --- REGISTER file -----------------------------------------------------------------------------------


class TestRegisterXml:
    def test_writes_a_well_formed_register_of_the_same_persons(self, tmp_path):
        path = tmp_path / "register.xml"
        write_register_xml(path, persons=3000, seed=4, mos=5, smos=2, as_of=AS_OF, region_code="27")
        expected = _persons(3000, seed=4, mos=5, smos=2)
        root = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
        assert root.tag == "REGISTER"
        assert root.findtext("ZGLV/VERSION") == "1.0" and root.findtext("ZGLV/DATA") == "2026-06-01"
        assert root.findtext("ZGLV/FILENAME") == "RS27_260601" and root.findtext("ZGLV/OKATO") == "08000"
        records = root.findall("PERS")
        assert len(records) == 3000
        for el, p in zip(records, expected, strict=True):
            assert el.findtext("N_ZAP") == str(p.n)
            assert el.findtext("ENP") == p.enp and enp_is_valid(el.findtext("ENP"))
            snils = el.findtext("SNILS") or ""
            assert snils == snils_format(p.snils)
            assert not snils or (len(snils) == 14 and snils_is_valid(snils_clean(snils)))
            assert (el.findtext("FAM"), el.findtext("IM"), el.findtext("OT") or "") == (
                p.last_name, p.first_name, p.patronymic)  # fmt: skip
            assert el.findtext("W") == str(p.sex) and el.findtext("DR") == p.birth_date.isoformat()
            assert el.findtext("SMO") == p.policies[-1][0]
            assert el.findtext("D_BEG") == p.policies[-1][1].isoformat()
            assert (el.findtext("D_END") or None) == (p.policies[-1][2] and p.policies[-1][2].isoformat())
            assert el.findtext("CODE_MO") == p.attachments[-1][0] and el.findtext("UCH") == p.attachments[-1][1]
            assert el.findtext("DATEZ") == p.attachments[-1][2].isoformat()
            assert (el.findtext("DS_DATE") or None) == (p.death_date and p.death_date.isoformat())
            assert (el.findtext("ADRES"), el.findtext("TEL") or "", el.findtext("EMAIL") or "") == (
                p.address, p.phone, p.email)  # fmt: skip
        assert [c.tag for c in records[0]] == [
            "N_ZAP", "ENP", "SNILS", "FAM", "IM", "OT", "W", "DR", "SMO", "D_BEG", "D_END", "CODE_MO", "UCH",
            "DATEZ", "DS_DATE", "ADRES", "TEL", "EMAIL",
        ]  # fmt: skip
        assert any(el.findtext("DS_DATE") for el in records)

    def test_same_seed_writes_the_same_bytes(self, tmp_path):
        a, b, c = tmp_path / "a.xml", tmp_path / "b.xml", tmp_path / "c.xml"
        write_register_xml(a, persons=500, seed=9, as_of=AS_OF)
        write_register_xml(b, persons=500, seed=9, as_of=AS_OF)
        write_register_xml(c, persons=500, seed=10, as_of=AS_OF)
        assert a.read_bytes() == b.read_bytes() != c.read_bytes()


# --- seed_demo / demo_logins ---------------------------------------------------------------------------


def _seed(**kwargs) -> str:
    out = io.StringIO()
    options = {"persons": 400, "mos": 3, "smos": 2, "seed": 7, "as_of": AS_OF, "register_only": True} | kwargs
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


@pytest.mark.django_db
class TestSeedDemo:
    def test_it_loads_the_generated_persons_with_their_history(self):
        output = _seed()
        assert "Готово за" in output
        expected = {p.enp: p for p in _persons(400, seed=7, mos=3, smos=2)}
        persons = {p.enp: p for p in Person.objects.all()}
        assert persons.keys() == expected.keys()
        for enp, person in persons.items():
            p = expected[enp]
            assert (person.last_name, person.first_name, person.patronymic, person.sex) == (
                p.last_name, p.first_name, p.patronymic, p.sex)  # fmt: skip
            assert person.name_key == name_key(p.last_name, p.first_name, p.patronymic)
            assert (person.birth_date, person.death_date, person.snils) == (p.birth_date, p.death_date, p.snils or None)
            assert (person.informing_opt_out, person.opt_out_date) == (p.opt_out_date is not None, p.opt_out_date)
            assert (person.address, person.phone, person.email) == (p.address, p.phone, p.email)
        assert PolicyPeriod.objects.count() == sum(len(p.policies) for p in expected.values())
        assert AttachmentPeriod.objects.count() == sum(len(p.attachments) for p in expected.values())
        sample = next(p for p in expected.values() if len(p.policies) > 1)
        stored = list(
            PolicyPeriod.objects.filter(person__enp=sample.enp)
            .order_by("date_from")
            .values_list("smo_code", "date_from", "date_to")
        )
        assert stored == [tuple(x) for x in sample.policies]

    def test_open_periods_and_organization_links(self):
        _seed()
        alive = Person.objects.filter(death_date__isnull=True)
        assert PolicyPeriod.objects.filter(date_to__isnull=True).count() == alive.count()
        assert AttachmentPeriod.objects.filter(date_to__isnull=True).count() == alive.count()
        for person in Person.objects.filter(death_date__isnull=False):
            assert not person.policies.filter(date_to__isnull=True).exists()
            assert person.policies.order_by("-date_from").first().date_to == person.death_date
        smo_codes = set(Organization.objects.filter(kind="SMO").values_list("code", flat=True))
        for policy in PolicyPeriod.objects.select_related("smo"):
            if policy.smo_code in smo_codes:
                assert policy.smo.code == policy.smo_code
            else:
                assert policy.smo is None and not policy.smo_code.startswith("27")
        assert PolicyPeriod.objects.filter(smo__isnull=True).exists()
        assert not AttachmentPeriod.objects.filter(mo__isnull=True).exists()
        districts = set(District.objects.values_list("mo__code", "number"))
        assert set(AttachmentPeriod.objects.values_list("mo_code", "district")) <= districts

    def test_organizations_districts_and_doctors(self):
        _seed()
        kinds = Counter(Organization.objects.values_list("kind", flat=True))
        assert kinds == {"MO": 3, "SMO": 2, "FUND": 1, "MINISTRY": 1}
        fund = Organization.objects.get(kind="FUND")
        assert fund.code == "27" and fund.short_name == "ХКФОМС" and fund.responsible_name and fund.hours
        for mo in Organization.objects.filter(kind="MO"):
            assert mo.districts.exists()
            for district in mo.districts.all():
                assert district.kind in DistrictKind.values
                worker = district.workers.get()
                assert worker.mo_id == mo.id and snils_is_valid(worker.snils)
        assert MedicalWorker.objects.count() == District.objects.count()

    def test_demo_users_log_in_with_demo_password(self, client, settings):
        settings.DEMO_PASSWORD = "Kh-demo-2026"
        _seed(persons=0)
        mos = Organization.objects.filter(kind="MO")
        smos = Organization.objects.filter(kind="SMO")
        expected = {f"mo_{m.code}": (Role.MO_STAFF, m) for m in mos}
        for s in smos:
            expected |= {f"smo_{s.code}_l{n}": (f"SMO_L{n}", s) for n in (1, 2, 3)}
        expected |= {
            "fund": (Role.FUND, Organization.objects.get(kind="FUND")),
            "ministry": (Role.MINISTRY, Organization.objects.get(kind="MINISTRY")),
            "admin": (Role.ADMIN, None),
        }
        assert User.objects.count() == len(expected) == 3 + 2 * 3 + 3
        for username, (role, org) in expected.items():
            user = User.objects.get(username=username)
            assert (user.role, user.organization) == (role, org)
            assert client.login(username=username, password="Kh-demo-2026"), username
            assert not client.login(username=username, password="demo")
        admin = User.objects.get(username="admin")
        assert admin.is_staff and admin.is_superuser
        assert not User.objects.filter(is_superuser=True).exclude(username="admin").exists()
        assert len({u.password for u in User.objects.all()}) == 1  # hashed once

    def test_if_empty_does_nothing_the_second_time(self):
        _seed(**{"if_empty": True})
        counts = (Person.objects.count(), Organization.objects.count(), User.objects.count())
        assert counts[0] == 400
        output = _seed(**{"if_empty": True, "seed": 8, "persons": 50})
        assert "не загружались" in output
        assert (Person.objects.count(), Organization.objects.count(), User.objects.count()) == counts

    def test_a_non_empty_register_is_refused_without_if_empty(self):
        _seed()
        with pytest.raises(CommandError, match="пустую базу"):
            _seed(seed=8, persons=10)
        assert Person.objects.count() == 400

    def test_a_failure_leaves_the_database_as_it_was(self, monkeypatch):
        import participants.services.demo as service

        real = service.iter_persons

        def broken(**kwargs):
            for n, person in enumerate(real(**kwargs)):
                if n == 150:
                    raise RuntimeError("generator broke")
                yield person

        monkeypatch.setattr(service, "iter_persons", broken)
        with pytest.raises(RuntimeError, match="generator broke"):
            _seed(chunk_size=50)
        assert not Person.objects.exists() and not Organization.objects.exists() and not User.objects.exists()

    def test_it_prints_progress_and_elapsed_time(self):
        output = _seed(chunk_size=100)
        assert "застрахованных: 400 из 400" in output
        assert "Готово за" in output

    def test_demo_logins_prints_the_table_and_password_source(self):
        out = io.StringIO()
        call_command("demo_logins", stdout=out)
        assert "seed_demo" in out.getvalue()
        _seed(persons=0)
        out = io.StringIO()
        call_command("demo_logins", stdout=out)
        text = out.getvalue()
        smo = Organization.objects.filter(kind="SMO").first()
        mo = Organization.objects.filter(kind="MO").first()
        assert f"smo_{smo.code}_l2" in text and "Страховой представитель 2 уровня" in text and smo.short_name in text
        assert f"mo_{mo.code}" in text and "admin" in text and "ministry" in text and "fund" in text
        assert "DEMO_PASSWORD" in text
        assert text.index("admin") < text.index(f"mo_{mo.code}")
