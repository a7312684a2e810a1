"""A national catalogue: every kabupaten/kota of Indonesia with an MPP of ~150 services.

python -m bench.national_catalogue --out DIR [--regions 514 --services 150 --seed 29]

writes ``DIR/national.json`` and ``DIR/regions/<code>.json``, the layout of
``shared/catalogue/packages/`` (what ``MPP_CATALOGUE_PACKAGES_DIR`` points a service at).

The national package is the shipped one (``shared/catalogue/packages/national.json``)
with the sector permits a national standard would add (110 services in all) and ~60
Kafka systems: the three shipped, a Samsat system per province and the national
agencies' own (Polri, Imigrasi, DJP, ATR/BPN, OSS …). Each region is Kota Makassar's
package (``examples/regions/7371.yaml``) made that region's: its offices (21, plus
kecamatan offices and national branches: ~29), a random choice of the national services
with its own SLA within the maximum, fee and counters, and local services — Makassar's
and kecamatan letters — whose forms regions copy from one another with changes of their
own, so forms are not all identical. Region codes follow Kemendagri (province prefix,
kabupaten 01–, kota 71–), with each province's real number of regions; the zone comes
from the province (``shared.i18n.zones``). The same arguments always give the same files.
"""

import argparse
import copy
import json
import random
from pathlib import Path
from typing import Any

import yaml

from shared.catalogue import PACKAGES_DIR
from shared.i18n.zones import zone_for_region

__all__ = ["PROVINCES", "generate", "region_codes", "write"]

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "examples" / "regions" / "7371.yaml"

PROVINCES: tuple[tuple[str, str, int, int], ...] = (
    ("11", "Aceh", 18, 5),
    ("12", "Sumatera Utara", 25, 8),
    ("13", "Sumatera Barat", 12, 7),
    ("14", "Riau", 10, 2),
    ("15", "Jambi", 9, 2),
    ("16", "Sumatera Selatan", 13, 4),
    ("17", "Bengkulu", 9, 1),
    ("18", "Lampung", 13, 2),
    ("19", "Kepulauan Bangka Belitung", 6, 1),
    ("21", "Kepulauan Riau", 5, 2),
    ("31", "DKI Jakarta", 1, 5),
    ("32", "Jawa Barat", 18, 9),
    ("33", "Jawa Tengah", 29, 6),
    ("34", "DI Yogyakarta", 4, 1),
    ("35", "Jawa Timur", 29, 9),
    ("36", "Banten", 4, 4),
    ("51", "Bali", 8, 1),
    ("52", "Nusa Tenggara Barat", 8, 2),
    ("53", "Nusa Tenggara Timur", 21, 1),
    ("61", "Kalimantan Barat", 12, 2),
    ("62", "Kalimantan Tengah", 13, 1),
    ("63", "Kalimantan Selatan", 11, 2),
    ("64", "Kalimantan Timur", 7, 3),
    ("65", "Kalimantan Utara", 4, 1),
    ("71", "Sulawesi Utara", 11, 4),
    ("72", "Sulawesi Tengah", 12, 1),
    ("73", "Sulawesi Selatan", 21, 3),
    ("74", "Sulawesi Tenggara", 15, 2),
    ("75", "Gorontalo", 5, 1),
    ("76", "Sulawesi Barat", 6, 0),
    ("81", "Maluku", 9, 2),
    ("82", "Maluku Utara", 8, 2),
    ("91", "Papua Barat", 7, 0),
    ("92", "Papua Barat Daya", 5, 1),
    ("94", "Papua", 8, 1),
    ("95", "Papua Selatan", 4, 0),
    ("96", "Papua Tengah", 8, 0),
    ("97", "Papua Pegunungan", 8, 0),
)
"""Province code, name, kabupaten and kota: 514 regions (Kemendagri, 2024)."""

KNOWN = {
    "3514": "Kabupaten Pasuruan",
    "3574": "Kota Probolinggo",
    "3576": "Kota Mojokerto",
    "3671": "Kota Tangerang",
    "7371": "Kota Makassar",
    "9471": "Kota Jayapura",
}

NATIONAL_SYSTEMS = {
    # office kind (its code without the region) → the national system serving it
    "polres": ("polri-presisi", "Sistem layanan Polri Presisi", "Polri's Presisi services"),
    "imigrasi": ("imigrasi-simkim", "SIMKIM Ditjen Imigrasi", "Immigration's SIMKIM"),
    "kpp": ("djp-coretax", "Coretax Direktorat Jenderal Pajak", "The tax office's Coretax"),
    "atr-bpn": ("atr-bpn-kkp", "Komputerisasi Kantor Pertanahan", "Land office system"),
    "kemenag": ("kemenag-simkah", "SIMKAH Kementerian Agama", "Religious affairs' SIMKAH"),
    "pengadilan-negeri": ("ma-ecourt", "e-Court Mahkamah Agung", "Supreme Court e-Court"),
    "dpmptsp": ("oss-rba", "OSS Berbasis Risiko", "Risk-based online licensing (OSS)"),
    "disnaker": ("kemnaker-siapkerja", "SIAPkerja Kemnaker", "Manpower's SIAPkerja"),
    "dinsos": ("kemensos-siks-ng", "SIKS-NG Kemensos", "Social affairs' SIKS-NG"),
    "dinkes": ("kemenkes-satusehat", "SATUSEHAT Kemenkes", "Health ministry's SATUSEHAT"),
    "disdik": ("kemendikdasmen-dapodik", "Dapodik", "Education's Dapodik"),
    "dishub": ("kemenhub-mitra-darat", "Mitra Darat Kemenhub", "Transport's Mitra Darat"),
    "disdag": ("kemendag-simetal", "SIMETAL Kemendag", "Trade's legal metrology system"),
    "dlh": ("klh-amdalnet", "AMDALNET", "Environmental approvals (AMDALNET)"),
    "rsud": ("kemenkes-sirs", "SIRS Kemenkes", "Hospital information system (SIRS)"),
    "kantor-pos": ("pos-indonesia", "Sistem layanan Pos Indonesia", "Pos Indonesia"),
    "pln": ("pln-ap2t", "AP2T PLN", "PLN's customer service system (AP2T)"),
    "taspen": ("taspen-sitaspen", "SITASPEN", "Civil service pension system (SITASPEN)"),
}
SHIPPED_SYSTEMS = {
    "disdukcapil": "siak",
    "bpjs-kesehatan": "bpjs-kesehatan-jkn",
    "bpjs-ketenagakerjaan": "bpjs-ketenagakerjaan-smile",
}
EXTRA_OFFICES = (
    ("rsud", "Rumah Sakit Umum Daerah", "Regional general hospital"),
    ("kantor-pos", "Kantor Pos", "Post office"),
    ("pln", "Unit Layanan PLN", "PLN customer service unit"),
    ("taspen", "Kantor Cabang Taspen", "Taspen branch office"),
    ("kecamatan-1", "Kantor Kecamatan Kota", "Central district office"),
    ("kecamatan-2", "Kantor Kecamatan Utara", "Northern district office"),
    ("kecamatan-3", "Kantor Kecamatan Selatan", "Southern district office"),
    ("kecamatan-4", "Kantor Kecamatan Barat", "Western district office"),
)
SECTORS = (
    ("perikanan", "Perikanan", "Fisheries", "dpmptsp"),
    ("pertanian", "Pertanian", "Agriculture", "dpmptsp"),
    ("peternakan", "Peternakan", "Livestock", "dpmptsp"),
    ("pariwisata", "Pariwisata", "Tourism", "dpmptsp"),
    ("perdagangan", "Perdagangan", "Trade", "dpmptsp"),
    ("perindustrian", "Perindustrian", "Industry", "dpmptsp"),
    ("konstruksi", "Jasa Konstruksi", "Construction", "dpmptsp"),
    ("energi", "Energi", "Energy", "dpmptsp"),
    ("pendidikan", "Pendidikan", "Education", "disdik"),
    ("kesehatan", "Pelayanan Kesehatan", "Health care", "dinkes"),
    ("farmasi", "Kefarmasian", "Pharmacy", "dinkes"),
    ("lingkungan", "Lingkungan Hidup", "Environment", "dlh"),
    ("transportasi", "Angkutan", "Transport", "dishub"),
    ("ketenagakerjaan", "Ketenagakerjaan", "Employment", "disnaker"),
    ("sosial", "Kesejahteraan Sosial", "Social welfare", "dinsos"),
    ("metrologi", "Metrologi Legal", "Legal metrology", "disdag"),
    ("telekomunikasi", "Telekomunikasi", "Telecommunications", "dpmptsp"),
    ("kehutanan", "Kehutanan", "Forestry", "dlh"),
    ("pertambangan", "Pertambangan Rakyat", "Small-scale mining", "dpmptsp"),
    ("kelautan", "Kelautan", "Marine affairs", "dpmptsp"),
    ("koperasi", "Koperasi dan UMKM", "Cooperatives and small business", "dpmptsp"),
)
PERMIT_KINDS = (
    ("izin", "Izin usaha", "Business permit"),
    ("rekomendasi", "Rekomendasi teknis", "Technical recommendation"),
    ("perpanjangan-izin", "Perpanjangan izin usaha", "Business permit renewal"),
)
LETTERS = (
    ("surat-keterangan-domisili", "Surat keterangan domisili", "Residence statement"),
    ("surat-keterangan-usaha", "Surat keterangan usaha", "Business statement"),
    ("surat-keterangan-tidak-mampu", "Surat keterangan tidak mampu", "Low-income statement"),
    ("surat-pengantar-nikah", "Surat pengantar nikah", "Marriage referral letter"),
    ("surat-keterangan-ahli-waris", "Surat keterangan ahli waris", "Statement of heirs"),
    ("surat-keterangan-belum-menikah", "Surat keterangan belum menikah", "Single status"),
    ("surat-keterangan-kelakuan-baik", "Surat keterangan kelakuan baik", "Good conduct"),
    ("surat-keterangan-penghasilan", "Surat keterangan penghasilan", "Income statement"),
    ("surat-keterangan-janda-duda", "Surat keterangan janda/duda", "Widowhood statement"),
    ("surat-keterangan-kematian", "Surat keterangan kematian", "Death statement"),
    ("surat-keterangan-kelahiran", "Surat keterangan kelahiran", "Birth statement"),
    ("izin-keramaian-kecamatan", "Izin keramaian tingkat kecamatan", "District event permit"),
    ("surat-keterangan-tanah", "Surat keterangan riwayat tanah", "Land history statement"),
    ("dispensasi-nikah", "Rekomendasi dispensasi nikah", "Marriage dispensation"),
    ("surat-keterangan-bepergian", "Surat keterangan bepergian", "Travel statement"),
    ("legalisasi-kecamatan", "Legalisasi dokumen kecamatan", "District legalisation"),
    ("surat-keterangan-pindah-rt", "Surat keterangan pindah RT/RW", "Moving within a village"),
    ("izin-usaha-mikro", "Izin usaha mikro kecil", "Micro business permit"),
    ("rekomendasi-beasiswa", "Rekomendasi beasiswa daerah", "Scholarship recommendation"),
    ("surat-keterangan-bencana", "Surat keterangan korban bencana", "Disaster victim"),
    ("pendaftaran-umkm", "Pendaftaran UMKM binaan", "Small business registration"),
    ("izin-penggunaan-gedung", "Izin penggunaan gedung kecamatan", "Use of a district hall"),
    ("rekomendasi-bansos", "Rekomendasi bantuan sosial", "Social aid recommendation"),
    ("surat-keterangan-ghoib", "Surat keterangan ghaib", "Missing person statement"),
    ("surat-keterangan-wali", "Surat keterangan wali", "Guardianship statement"),
    ("izin-hajatan", "Izin hajatan", "Family celebration permit"),
    ("surat-keterangan-catatan-sipil", "Surat keterangan catatan sipil", "Civil record note"),
    ("rekomendasi-imb-sederhana", "Rekomendasi bangunan sederhana", "Simple building note"),
)

SCHEMA = "https://json-schema.org/draft/2020-12/schema"
TEXT_FIELD = {"type": "string", "minLength": 2, "maxLength": 200}


def region_codes(count: int = 514) -> list[tuple[str, str, str]]:
    """``count`` regions (code, name, province), spread over every province so that a
    small catalogue still has each zone: every region when ``count`` is 514."""
    every: list[tuple[str, str, str]] = []
    for province, name, kabupaten, kota in PROVINCES:
        for n in range(1, kabupaten + 1):
            code = f"{province}{n:02d}"
            every.append((code, KNOWN.get(code, f"Kabupaten {name} {n:02d}"), name))
        for n in range(71, 71 + kota):
            code = f"{province}{n}"
            every.append((code, KNOWN.get(code, f"Kota {name} {n - 70}"), name))
    if count >= len(every):
        return every
    step = len(every) / count
    return [every[int((i + 0.5) * step)] for i in range(count)]


def _systems(national: dict[str, Any]) -> list[dict[str, Any]]:
    systems = list(national["systems"])
    systems += [
        {"code": code, "name": {"id": name_id, "en": name_en}}
        for code, name_id, name_en in NATIONAL_SYSTEMS.values()
    ]
    systems += [
        {
            "code": f"samsat-{province}",
            "name": {"id": f"Sistem Samsat Provinsi {name}", "en": f"Samsat system, {name}"},
        }
        for province, name, _, _ in PROVINCES
    ]
    return systems


def _permit(kind: tuple[str, str, str], sector: tuple[str, str, str, str]) -> dict[str, Any]:
    code = f"{kind[0]}-{sector[0]}"
    return {
        "code": code,
        "name": {"id": f"{kind[1]} sektor {sector[1]}", "en": f"{kind[2]}: {sector[2]}"},
        "requirements": {
            "id": ["KTP-el penanggung jawab", "NIB"],
            "en": ["KTP-el of the person responsible", "NIB"],
        },
        "documents": ["nib"],
        "applicant_fields": ["nik", "name", "address", "phone", "email"],
        "form_version": 1,
        "sla_max_working_days": 5 + len(code) % 16,
        "fee_idr": 0,
        "form": {
            "$schema": SCHEMA,
            "type": "object",
            "additionalProperties": False,
            "required": ["business_name", "activity"],
            "properties": {
                "business_name": {**TEXT_FIELD, "title": "Nama usaha / Business name"},
                "activity": {
                    **TEXT_FIELD,
                    "title": f"Kegiatan {sector[1]} / {sector[2]} activity",
                },
            },
        },
    }


def national_package(base: Path = PACKAGES_DIR) -> dict[str, Any]:
    """The shipped national package with the sector permits and the systems."""
    national = json.loads((base / "national.json").read_text(encoding="utf-8"))
    national["services"] += [_permit(kind, sector) for kind in PERMIT_KINDS for sector in SECTORS]
    national["systems"] = _systems(national)
    return national


def _office_kind(code: str, region: str) -> str:
    return code.removesuffix(f"-{region}")


def _handler(kind: str, province: str, slug: str, template: dict[str, Any]) -> dict[str, Any]:
    if kind in SHIPPED_SYSTEMS:
        return {"kind": "kafka", "system": SHIPPED_SYSTEMS[kind]}
    if kind == "samsat":
        return {"kind": "kafka", "system": f"samsat-{province}"}
    if kind in NATIONAL_SYSTEMS:
        return {"kind": "kafka", "system": NATIONAL_SYSTEMS[kind][0]}
    if template.get("kind") == "webhook":
        return {"kind": "webhook", "url": f"https://{kind}.{slug}.example.go.id/mpp/webhook"}
    return {"kind": "workbench"}


def _offices(template: dict[str, Any], code: str, name: str, province: str) -> list[dict]:
    slug = name.lower().replace(" ", "")
    offices = []
    kinds = [
        (_office_kind(o["code"], "7371"), o["name"], o["handler"]) for o in template["offices"]
    ]
    kinds += [
        (kind, {"id": f"{name_id} {name}", "en": f"{name_en}, {name}"}, {"kind": "workbench"})
        for kind, name_id, name_en in EXTRA_OFFICES
    ]
    for kind, title, handler in kinds:
        offices.append(
            {
                "code": f"{kind}-{code}",
                "name": {
                    "id": title["id"].replace("Kota Makassar", name).replace("Makassar", name),
                    "en": title["en"].replace("Kota Makassar", name).replace("Makassar", name),
                },
                "handler": _handler(kind, province, slug, handler),
                "supervisor_email": f"kepala.{kind}@{slug}.example.go.id",
            }
        )
    return offices


def _form_variant(form: dict[str, Any], rng: random.Random, name: str) -> dict[str, Any]:
    """A region's copy of a form: as it is (half the regions), with a field of its own,
    with a shorter limit, or asking something only this region asks."""
    form = copy.deepcopy(form)
    roll = rng.random()
    if roll < 0.5:
        return form
    if roll < 0.7:
        form["properties"]["notes"] = {**TEXT_FIELD, "title": "Catatan / Notes"}
    elif roll < 0.9:
        for field in form["properties"].values():
            if field.get("maxLength"):
                field["maxLength"] = max(field.get("minLength", 1), field["maxLength"] // 2)
    else:
        form["properties"]["local_reference"] = {
            **TEXT_FIELD,
            "title": f"Nomor rujukan {name} / {name} reference number",
        }
    return form


def _adoptions(
    national: dict[str, Any], template: dict[str, Any], code: str, count: int, rng: random.Random
) -> list[dict[str, Any]]:
    """``count`` national services, each with the office, SLA, fee and counters of this
    region: Makassar's where it adopts the service, the sector's office otherwise."""
    theirs = {a["service"]: a for a in template["adopts"]}
    sectors = {f"{kind[0]}-{s[0]}": s[3] for kind in PERMIT_KINDS for s in SECTORS}
    chosen = rng.sample(national["services"], min(count, len(national["services"])))
    adopts = []
    for service in sorted(chosen, key=lambda s: s["code"]):
        found = theirs.get(service["code"])
        kind = _office_kind(found["office"], "7371") if found else sectors[service["code"]]
        adopts.append(
            {
                "service": service["code"],
                "office": f"{kind}-{code}",
                "sla_working_days": rng.randint(1, service["sla_max_working_days"]),
                "fee_idr": service["fee_idr"],
                "counters": [f"Loket {rng.randint(1, 12)} {kind.upper()}"],
            }
        )
    return adopts


def _letter(letter: tuple[str, str, str], code: str, office: int) -> dict[str, Any]:
    return {
        "code": f"{code}-{letter[0]}",
        "name": {"id": letter[1], "en": letter[2]},
        "office": f"kecamatan-{office}-{code}",
        "sla_working_days": 1 + office,
        "fee_idr": 0,
        "counters": [f"Loket Kecamatan {office}"],
        "requirements": {"id": ["KTP-el", "Surat pengantar RT/RW"], "en": ["KTP-el", "RT/RW note"]},
        "documents": [],
        "applicant_fields": ["nik", "name", "address"],
        "form_version": 1,
        "form": {
            "$schema": SCHEMA,
            "type": "object",
            "additionalProperties": False,
            "required": ["purpose"],
            "properties": {
                "purpose": {**TEXT_FIELD, "title": "Keperluan / Purpose"},
                "village": {**TEXT_FIELD, "title": "Kelurahan/desa / Village"},
            },
        },
    }


def _locals(
    template: dict[str, Any], code: str, name: str, count: int, rng: random.Random
) -> list[dict[str, Any]]:
    """``count`` local services: Makassar's own and kecamatan letters, each form as this
    region copied it (:func:`_form_variant`)."""
    candidates = [
        {
            **service,
            "code": service["code"].replace("7371-", f"{code}-", 1),
            "office": service["office"].replace("-7371", f"-{code}"),
        }
        for service in template["services"]
    ]
    candidates += [_letter(letter, code, 1 + i % 4) for i, letter in enumerate(LETTERS)]
    chosen = rng.sample(candidates, min(count, len(candidates)))
    return [
        {**service, "form": _form_variant(service["form"], rng, name)}
        for service in sorted(chosen, key=lambda s: s["code"])
    ]


def _region(
    national: dict[str, Any],
    template: dict[str, Any],
    where: tuple[str, str, str],
    services: int,
    rng: random.Random,
) -> dict[str, Any]:
    code, name, _ = where
    local = max(1, round(services * rng.uniform(0.27, 0.37)))
    anniversary = f"{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    return {
        "kind": "region",
        "version": 1,
        "region": {
            "code": code,
            "name": name,
            "mpp": f"MPP {name}",
            "zone": zone_for_region(code).tzname(None),
        },
        "offices": _offices(template, code, name, code[:2]),
        "adopts": _adoptions(national, template, code, services - local, rng),
        "services": _locals(template, code, name, local, rng),
        "holidays": [
            {
                "date": f"{year}-{anniversary}",
                "name": {"id": f"Hari Jadi {name}", "en": f"{name} Day"},
            }
            for year in (2026, 2027)
        ],
    }


def generate(
    regions: int = 514, services: int = 150, seed: int = 29
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The national package and ``regions`` region packages of about ``services``
    services each, as JSON documents; the same arguments give the same documents."""
    rng = random.Random(seed)
    national = national_package()
    template = yaml.safe_load(TEMPLATE.read_text(encoding="utf-8"))
    packages = [
        _region(national, template, where, services, rng) for where in region_codes(regions)
    ]
    return national, packages


def write(out: Path, national: dict[str, Any], regions: list[dict[str, Any]]) -> None:
    """The packages in ``out`` as ``shared/catalogue/packages/`` holds them."""
    (out / "regions").mkdir(parents=True, exist_ok=True)
    for old in (out / "regions").glob("*.json"):
        old.unlink()
    (out / "national.json").write_text(json.dumps(national, ensure_ascii=False), encoding="utf-8")
    for package in regions:
        path = out / "regions" / f"{package['region']['code']}.json"
        path.write_text(json.dumps(package, ensure_ascii=False), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--regions", type=int, default=514)
    parser.add_argument("--services", type=int, default=150, help="per region, about")
    parser.add_argument("--seed", type=int, default=29)
    args = parser.parse_args(argv)
    national, regions = generate(args.regions, args.services, args.seed)
    write(args.out, national, regions)
    offices = sum(len(r["offices"]) for r in regions)
    offered = sum(len(r["adopts"]) + len(r["services"]) for r in regions)
    print(
        f"wrote {args.out}: {len(regions)} regions, {offered:,} services offered "
        f"({offered / max(1, len(regions)):.0f} per region), {offices:,} offices, "
        f"{len(national['systems'])} Kafka systems"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
