"""How long each class of personal data is kept, and why: the one table.

UU PDP (Law 27/2022 on Personal Data Protection) lets a controller keep personal data
only as long as its purpose needs, then erase or destroy it. Every class the platform
holds is listed here once, with where it lives (service, collection, the field its age
is measured from), how long it stays (a setting), the legal reason in Bahasa Indonesia
and English, and the Kafka topics that carry it. The services' sweepers
(:mod:`shared.retention_sweep` with each service's ``retention.py``), ``mpp privacy
retention`` and docs/retention.md all read this table; nothing else names a period.

A store marked ``deletes=False`` is listed for the report only: the audit log is an
append-only hash chain, so nothing is removed from it; a citizen's data there is erased
by destroying the key it is encrypted under (crypto-shredding), not by deleting records.

Pure data and functions: no I/O.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from shared.settings import Settings
from shared.workflow import LAPSED, TERMINAL, WITHDRAWN

__all__ = [
    "BILL_FINISHED",
    "CLASSES",
    "COMPLAINT_DAYS",
    "DECIDED",
    "NOTICE_FINISHED",
    "PAYMENT_RECORDS",
    "QUEUE_DAYS",
    "UNDECIDED",
    "WITHDRAWN",
    "DataClass",
    "Store",
    "data_class",
    "topics_of",
]


DECIDED = TERMINAL - WITHDRAWN - LAPSED
"""Final statuses the agency decided (``rejected``, ``completed``); unlike
:data:`shared.workflow.DECIDED`, not ``approved``, which a completion still follows.
:data:`WITHDRAWN` (``cancelled``) comes from :mod:`shared.workflow` too."""

UNDECIDED = WITHDRAWN | LAPSED
"""Final statuses no agency decided: withdrawn by the citizen (``cancelled``), or ended
by an unpaid bill's expiry (``payment_expired``, the agency never saw it)."""

QUEUE_DAYS = 90
"""Days a queue booking (from its booking), a ticket (from the ticket given) and a
booking's reminder are kept, by TTL indexes on those fields."""

PAYMENT_RECORDS = "payment-records"
"""The class of bills and settlement records, swept by routing's payments package."""

BILL_FINISHED = ("paid", "expired", "failed")
"""A bill in one of these is over: nothing moves it any more."""

COMPLAINT_DAYS = 730
"""Days a closed complaint (from its closing), notify's record of whose it was and
intake's record of the uploads it names (which keeps them) are kept, by TTL indexes on
``closed_at``; an open complaint has none and is never removed."""

NOTICE_FINISHED = ("delivered", "permanent-failure", "technical-failure")
"""A notify delivery in one of these is over: no further attempt reads it."""

Query = Callable[[datetime], dict[str, Any]]
"""The rows of a store past their period, given the cutoff (now minus the period)."""


@dataclass(frozen=True)
class Store:
    """Where one class lives: a service's collection, and which rows are expired."""

    service: str
    collection: str
    age_field: str
    query: Query
    deletes: bool = True
    note: str = ""


@dataclass(frozen=True)
class DataClass:
    name: str
    title: str
    setting: str | None
    reason_id: str
    reason_en: str
    stores: tuple[Store, ...] = ()
    topics: tuple[str, ...] = ()
    """Attribute names of :class:`shared.topics.Topics` (agency topics as ``agency_inbox``
    and ``agency_updates``) whose records carry this class's personal data."""
    enforced_by: str = "sweeper"
    fixed_days: int | None = field(default=None)

    def days(self, settings: Settings) -> int | None:
        """The period in days (None: set outside the platform, e.g. the log shipper)."""
        if self.setting is not None:
            return int(getattr(settings, self.setting))
        return self.fixed_days

    def cutoff(self, settings: Settings, now: datetime) -> datetime | None:
        """Rows whose age field is before this are expired."""
        days = self.days(settings)
        return None if days is None else now - timedelta(days=days)

    def stores_of(self, service: str) -> list[Store]:
        return [store for store in self.stores if store.service == service]


def _before(name: str) -> Query:
    return lambda cutoff: {name: {"$lt": cutoff}}


def _applications(statuses: frozenset[str], age_field: str) -> Query:
    return lambda cutoff: {"status": {"$in": sorted(statuses)}, age_field: {"$lt": cutoff}}


def _intake_applications(statuses: frozenset[str]) -> Query:
    """Intake's read model records ``status_at`` with each change; an application whose
    last change came before that field existed is aged by its timeline (every entry
    before the cutoff)."""
    return lambda cutoff: {
        "status": {"$in": sorted(statuses)},
        "$or": [
            {"status_at": {"$lt": cutoff}},
            {"status_at": {"$exists": False}, "timeline.at": {"$not": {"$gte": cutoff}}},
        ],
    }


def _ttl(service: str, collection: str, age_field: str, where: str) -> Store:
    """A store MongoDB's TTL index empties (listed for the report; never swept)."""
    note = f"removed by MongoDB's TTL index on {age_field} ({where})"
    return Store(service, collection, age_field, _before(age_field), deletes=False, note=note)


def _audit(event_type: str) -> Query:
    # audit keeps each event's time as its text (ISO 8601, UTC, "Z"): compared as text
    return lambda cutoff: {
        "type": event_type,
        "time": {"$lt": cutoff.strftime("%Y-%m-%dT%H:%M:%S.%fZ")},
    }


_CHAIN = "kept: append-only audit chain; erased by crypto-shredding, not deleted"
_APPLICATION_TOPICS = (
    "submitted",
    "status",
    "citizen_actions",
    "agency_inbox",
    "agency_updates",
    "replay",
)


def _application_stores(statuses: frozenset[str]) -> tuple[Store, ...]:
    return (
        Store("intake", "applications", "status_at", _intake_applications(statuses)),
        Store(
            "routing",
            "applications",
            "updated_at",
            _applications(statuses, "updated_at"),
            note="with its webhook deliveries, workbench notes and result files",
        ),
    )


CLASSES: tuple[DataClass, ...] = (
    DataClass(
        name="accounts",
        title="Closed or erased accounts",
        setting="retain_accounts_closed_days",
        reason_id="UU PDP Pasal 16 ayat (2) dan Pasal 43: data pribadi dihapus bila tidak "
        "lagi diperlukan atau atas permintaan subjek data; tenggang singkat untuk keberatan "
        "dan pemulihan akun.",
        reason_en="Law 27/2022 art. 16(2) and 43: personal data is erased once no longer "
        "needed or when the data subject asks; a short grace period for objections and "
        "account recovery.",
        stores=(
            Store(
                "identity",
                "accounts",
                "closed_at",
                _before("closed_at"),
                note="with its sign-in sessions",
            ),
        ),
        topics=("accounts",),
    ),
    DataClass(
        name="applications-decided",
        title="Applications decided (" + ", ".join(sorted(DECIDED)) + ")",
        setting="retain_applications_decided_days",
        reason_id="UU PDP Pasal 16 ayat (2) dan Pasal 44; UU 43/2009 tentang Kearsipan: "
        "berkas permohonan adalah arsip instansi, disimpan sesuai jadwal retensi arsip (JRA) "
        "instansi/ANRI, lalu dimusnahkan.",
        reason_en="Law 27/2022 art. 16(2) and 44; Law 43/2009 on Archives: an application "
        "file is the agency's record, kept for the agency's archive retention schedule (JRA, "
        "ANRI), then destroyed.",
        stores=_application_stores(DECIDED),
        topics=_APPLICATION_TOPICS,
    ),
    DataClass(
        name="applications-withdrawn",
        title="Applications withdrawn by the citizen or ended unpaid ("
        + ", ".join(sorted(UNDECIDED))
        + ")",
        setting="retain_applications_withdrawn_days",
        reason_id="UU PDP Pasal 16 ayat (2) dan Pasal 43: permohonan yang dibatalkan atau "
        "yang tagihannya kedaluwarsa tidak menghasilkan keputusan; disimpan hanya untuk "
        "pertanyaan dan pengaduan.",
        reason_en="Law 27/2022 art. 16(2) and 43: a withdrawn application, or one whose bill "
        "expired unpaid, led to no decision; kept only for questions and complaints.",
        stores=_application_stores(UNDECIDED),
        topics=_APPLICATION_TOPICS,
    ),
    DataClass(
        name="documents",
        title="Uploaded documents no kept application names",
        setting="retain_documents_days",
        reason_id="UU PDP Pasal 16 ayat (2): dokumen pendukung hanya untuk permohonannya; "
        "unggahan yang tidak diajukan dihapus setelah masa draf.",
        reason_en="Law 27/2022 art. 16(2): a supporting document serves its application "
        "only; an upload never submitted goes after a draft's life.",
        stores=(
            Store(
                "intake",
                "documents.files",
                "metadata.uploaded_at",
                _before("metadata.uploaded_at"),
                note="GridFS: only files no remaining application of the owner names",
            ),
        ),
    ),
    DataClass(
        name="drafts",
        title="Drafts of forms not submitted",
        setting=None,
        fixed_days=90,
        reason_id="UU PDP Pasal 16 ayat (2): isian yang belum diajukan disimpan 90 hari "
        "sejak terakhir disimpan.",
        reason_en="Law 27/2022 art. 16(2): answers not submitted are kept 90 days after the "
        "last save.",
        stores=(
            Store(
                "intake",
                "drafts",
                "expires_at",
                _before("expires_at"),
                deletes=False,
                note="removed by MongoDB's TTL index on expires_at (services/intake/drafts.py)",
            ),
        ),
        enforced_by="TTL index",
    ),
    DataClass(
        name="queue",
        title="Queue bookings, tickets and bookings' reminders at the MPP",
        setting=None,
        fixed_days=QUEUE_DAYS,
        reason_id="UU PDP Pasal 16 ayat (2): antrean hanya untuk kunjungan itu; disimpan 90 "
        "hari untuk angka waktu tunggu dan pengaduan tentang kunjungan, lalu dihapus.",
        reason_en="Law 27/2022 art. 16(2): a queue place serves that visit only; kept 90 days "
        "for the waiting-time figures and complaints about the visit, then erased.",
        stores=(
            _ttl("intake", "queue_bookings", "created_at", "services/intake/queue/bookings.py"),
            _ttl("intake", "queue_tickets", "checked_in_at", "services/intake/queue/tickets.py"),
            _ttl("notify", "queue_reminders", "created_at", "services/notify/queue_reminders.py"),
        ),
        topics=("queue",),
        enforced_by="TTL index",
    ),
    DataClass(
        name="complaints",
        title="Questions and complaints, closed (with their threads and attachments' references)",
        setting=None,
        fixed_days=COMPLAINT_DAYS,
        reason_id="UU PDP Pasal 16 ayat (2): pengaduan disimpan selama ditangani dan dua "
        "tahun setelah ditutup, untuk tindak lanjut, pengaduan ulang dan pengawasan, lalu "
        "dihapus.",
        reason_en="Law 27/2022 art. 16(2): a complaint is kept while it is handled and two "
        "years after it closed, for follow-up, repeated complaints and oversight, then "
        "erased.",
        stores=(
            _ttl("routing", "complaints", "closed_at", "services/routing/complaints/store.py"),
            _ttl("notify", "complaint_owners", "closed_at", "services/notify/complaint_owners.py"),
            _ttl("intake", "complaint_files", "closed_at", "services/intake/complaint_files.py"),
        ),
        topics=("complaints",),
        enforced_by="TTL index",
    ),
    DataClass(
        name="notices",
        title="Notices, their deliveries and survey invitations",
        setting="retain_notices_days",
        reason_id="UU PDP Pasal 16 ayat (2): pemberitahuan adalah catatan akun tentang apa "
        "yang disampaikan; status resmi tetap ada pada permohonan.",
        reason_en="Law 27/2022 art. 16(2): a notice is the account's record of what it was "
        "told; the authoritative status stays with the application.",
        stores=(
            Store("notify", "notifications", "created_at", _before("created_at")),
            Store(
                "notify",
                "deliveries",
                "created_at",
                lambda cutoff: {
                    "status": {"$in": list(NOTICE_FINISHED)},
                    "created_at": {"$lt": cutoff},
                },
                note="finished deliveries only",
            ),
            Store("notify", "surveys", "invited_at", _before("invited_at")),
        ),
        topics=("notifications", "escalations"),
    ),
    DataClass(
        name="access-records",
        title="Records of who read a citizen's data",
        setting="retain_access_records_days",
        reason_id="UU PDP Pasal 31: pengendali merekam seluruh kegiatan pemrosesan; subjek "
        "data berhak tahu siapa membaca datanya (Pasal 7).",
        reason_en="Law 27/2022 art. 31: the controller records all processing; the data "
        "subject may learn who read their data (art. 7).",
        stores=(
            Store(
                "audit",
                "records",
                "time",
                _audit("application.accessed"),
                deletes=False,
                note=_CHAIN,
            ),
        ),
        topics=("access",),
        enforced_by="audit chain (crypto-shredding) and the access topic's retention",
    ),
    DataClass(
        name="dead-letters",
        title="Dead letters: records no consumer could process, failed webhooks",
        setting="retain_dead_letters_days",
        reason_id="UU PDP Pasal 16 ayat (2) dan Pasal 35: disimpan untuk diperiksa dan "
        "dikirim ulang oleh operator, lalu dihapus.",
        reason_en="Law 27/2022 art. 16(2) and 35: kept for an operator to inspect and "
        "redeliver, then erased.",
        stores=(
            Store(
                "routing",
                "deliveries",
                "finished_at",
                lambda cutoff: {"state": "failed", "finished_at": {"$lt": cutoff}},
                note="webhook deliveries that failed for good",
            ),
            Store(
                "audit",
                "records",
                "time",
                _audit("message.dead_lettered"),
                deletes=False,
                note=_CHAIN,
            ),
        ),
        topics=("deadletter",),
    ),
    DataClass(
        name=PAYMENT_RECORDS,
        title="Bills, settlement imports and their findings (no personal data)",
        setting="retain_payment_records_days",
        reason_id="UU 1/2004 tentang Perbendaharaan Negara dan UU 9/2018 tentang PNBP: "
        "tagihan dan bukti setor adalah dokumen sumber pembukuan penerimaan; disimpan "
        "sepuluh tahun seperti buku dan dokumen keuangan (UU 8/1997 Pasal 11, UU KUP Pasal "
        "28 ayat (11)) dan JRA keuangan instansi, lalu dihapus.",
        reason_en="Law 1/2004 on the State Treasury and Law 9/2018 on PNBP: a bill and its "
        "payment proof are the source documents of the revenue books; kept ten years as "
        "financial books and their documents are (Law 8/1997 art. 11, the tax procedures "
        "law art. 28(11)) and the agency's financial archive schedule, then erased.",
        stores=(
            Store(
                "routing",
                "bills",
                "updated_at",
                lambda cutoff: {
                    "state": {"$in": list(BILL_FINISHED)},
                    "updated_at": {"$lt": cutoff},
                },
                note="finished bills only (paid, expired, failed)",
            ),
            Store(
                "routing",
                "refunds",
                "updated_at",
                lambda cutoff: {
                    "state": {"$in": ["success", "failed"]},
                    "updated_at": {"$lt": cutoff},
                },
                note="finished refunds only (success, failed)",
            ),
            Store("routing", "reconciliation_runs", "at", _before("at")),
            Store(
                "routing",
                "reconciliation_findings",
                "found_at",
                _before("found_at"),
                note="with the finance officer's handling note",
            ),
        ),
        enforced_by="routing's payment records sweep (services/routing/payments/retention.py)",
    ),
    DataClass(
        name="logs",
        title="Service logs (no personal data by design)",
        setting=None,
        reason_id="UU PDP Pasal 35: log operasional tanpa data pribadi; masa simpan diatur "
        "pada pengirim log (log shipper) / penyimpanan log.",
        reason_en="Law 27/2022 art. 35: operational logs carry no personal data; their "
        "retention is the log shipper's or log store's setting.",
        enforced_by="log shipper",
    ),
)


def data_class(name: str) -> DataClass:
    return next(entry for entry in CLASSES if entry.name == name)


def topics_of(topic_kind: str) -> list[DataClass]:
    """The classes whose personal data a topic kind (a :class:`Topics` attribute name)
    carries."""
    return [entry for entry in CLASSES if topic_kind in entry.topics]
