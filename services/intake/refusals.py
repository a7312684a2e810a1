"""What intake refuses, and the problem each refusal answers: the one table.

Intake's handlers and stores say "no" by raising a :class:`~shared.errors.Rejected`
subclass named for the rule, never an HTTP problem. Each row below makes one such class
with the problem+json document it answers (Bahasa Indonesia first): ``detail`` and
``errors`` may quote the refusal's words (``{text}``) or what it carries
(``{r.region}``). A refusal carrying more than its words is a class of its own, its
problem worded beside it. An application, upload or document of another citizen is
refused as if it did not exist (404), so an id tells a stranger nothing.

A service intake depends on not answering (identity, routing's document store) is not a
refusal — the same request may succeed in a moment — so it is :class:`Unavailable`
(503, nothing stored), answered from the same table.
"""

import copy
from collections.abc import Callable
from typing import Any

from shared.errors import Rejected
from shared.files import too_large, unsupported_type
from shared.idempotency import key_reused
from shared.problems import Problem
from shared.refusals import RefusalTable

CITIZEN_TOKEN_HEADER = "X-Citizen-Token"  # noqa: S105 - a header name, not a secret
"""The header a kiosk sends the signed-in citizen's access token in."""

_PROBLEMS: dict[type[Exception], Callable[[Any], Problem]] = {}


def _worded(value: Any, refusal: Exception) -> Any:
    """``value`` with every text in it filled in from the refusal."""
    if isinstance(value, str):
        return value.format(text=str(refusal), r=refusal)
    if isinstance(value, list):
        return [_worded(item, refusal) for item in value]
    if isinstance(value, dict):
        return {key: _worded(item, refusal) for key, item in value.items()}
    return copy.copy(value)


def _kind(name: str, base: type[Exception] | None, carries: str | None = None) -> type[Rejected]:
    """A refusal class (a ``base`` too, when given); ``carries`` names the one value it
    is raised with, kept as that attribute (and as its words)."""
    body: dict[str, Any] = {"__module__": __name__}
    if carries is not None:

        def __init__(self: Rejected, value: Any) -> None:
            Rejected.__init__(self, str(value))
            setattr(self, carries, value)

        body["__init__"] = __init__
    return type(name, (Rejected, base) if base else (Rejected,), body)


def _refusal(
    name: str,
    base: type[Exception] | None,
    status: int,
    title: str,
    detail: str,
    *,
    carries: str | None = None,
    **extensions: Any,
) -> type[Rejected]:
    """A refusal class answering one problem, its texts filled in from the refusal."""
    kind = _kind(name, base, carries)
    _answers(kind, lambda r: Problem(status, title, _worded(detail, r), **_worded(extensions, r)))
    return kind


def _answers(kind: type[Exception], answer: Callable[[Any], Problem]) -> None:
    _PROBLEMS[kind] = answer


_NOT_FOUND = "Tidak ditemukan / Not found"
_DOCUMENT_NOT_FOUND = "Dokumen tidak ditemukan / Document not found"
_BEARER = 'Bearer realm="mpp"'

# --- submissions ---------------------------------------------------------------------


class _NamingFields(Rejected):
    """A refusal naming each field at fault (``errors``)."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__(", ".join(e["field"] for e in errors))
        self.errors = errors


class InvalidForm(_NamingFields, ValueError):
    """The form breaks the service's schema."""


class DocumentsNotUploaded(_NamingFields, LookupError):
    """A document named by its sha256 is not one of the caller's uploads."""


_answers(
    InvalidForm,
    lambda r: Problem(
        422,
        "Data formulir tidak valid / Invalid form data",
        f"Periksa isian berikut / Check these fields: {r}",
        errors=r.errors,
    ),
)
_answers(
    DocumentsNotUploaded,
    lambda r: Problem(
        422,
        _DOCUMENT_NOT_FOUND,
        "Unggah dokumen dulu lewat POST /api/v1/documents / Upload documents first "
        "with POST /api/v1/documents, then send their sha256.",
        errors=r.errors,
    ),
)
UnknownService = _refusal(
    "UnknownService",
    LookupError,
    422,
    "Layanan tidak dikenal / Unknown service",
    "There is no service with code {text!r}; see GET /api/v1/services.",
    errors=[{"field": "service", "message": "unknown service"}],
)
UnknownRegion = _refusal(
    "UnknownRegion",
    LookupError,
    422,
    "Wilayah tidak dikenal / Unknown region",
    "There is no region with code {text!r}; see GET /api/v1/regions.",
    errors=[{"field": "region", "message": "unknown region"}],
)

# --- who an application is for --------------------------------------------------------

NotAnApplicant = _refusal(
    "NotAnApplicant",
    PermissionError,
    403,
    "Khusus warga, loket dan kios / Citizens, counters and kiosks only",
    "Agency staff and administrators do not submit applications.",
)
OperatorChannelOnly = _refusal(
    "OperatorChannelOnly",
    PermissionError,
    403,
    "Khusus petugas loket dan kios / Counter and kiosk only",
    "The counter and kiosk channels and citizen_nik need an operator credential.",
)
MobileUnitsSendBatches = _refusal(
    "MobileUnitsSendBatches",
    PermissionError,
    403,
    "Layanan keliling mengirim per batch / Mobile units send batches",
    "Petugas layanan keliling mengirim permohonan lewat POST /api/v1/batches "
    "(satu batch boleh berisi satu permohonan) / A mobile unit's operator sends "
    "applications through POST /api/v1/batches (a batch may hold one).",
)
OutsideRegion = _refusal(
    "OutsideRegion",
    PermissionError,
    403,
    "Di luar wilayah MPP Anda / Outside your MPP's region",
    "Akun ini melayani wilayah {r.region} / This account serves region {r.region} only.",
    carries="region",
    errors=[{"field": "region", "message": "must be {r.region}"}],
)
KioskTakesNoNik = _refusal(
    "KioskTakesNoNik",
    ValueError,
    422,
    "Kios tidak menerima NIK / Kiosks do not take a NIK",
    "NIK bukan bukti identitas; warga masuk di kios dengan akunnya sendiri / A NIK "
    "proves nothing: the citizen signs in at the kiosk, and the kiosk sends their token "
    f"in {CITIZEN_TOKEN_HEADER}.",
    errors=[{"field": "citizen_nik", "message": "not for kiosks"}],
)
CitizenNikRequired = _refusal(
    "CitizenNikRequired",
    ValueError,
    422,
    "NIK warga wajib / Citizen's NIK required",
    "A counter operator submits for a citizen: send citizen_nik.",
    errors=[{"field": "citizen_nik", "message": "required for counter operators"}],
)
KioskCitizenMissing = _refusal(
    "KioskCitizenMissing",
    ValueError,
    422,
    "Warga belum masuk di kios / Citizen not signed in at the kiosk",
    f"Warga masuk di kios dengan akunnya sendiri; kirim tokennya di {CITIZEN_TOKEN_HEADER}"
    f" / The citizen signs in at the kiosk with their own account; send their access "
    f"token in {CITIZEN_TOKEN_HEADER} (a NIK alone proves nothing).",
    errors=[{"field": CITIZEN_TOKEN_HEADER, "message": "required for kiosks"}],
)
NotACitizensToken = _refusal(
    "NotACitizensToken",
    PermissionError,
    403,
    "Bukan akun warga / Not a citizen's account",
    f"{CITIZEN_TOKEN_HEADER} must carry a citizen's token.",
)
StaffAccountNotValid = _refusal(
    "StaffAccountNotValid",
    PermissionError,
    401,
    "Akun petugas tidak berlaku / Staff account not valid",
    "Akun ini dinonaktifkan atau kata sandinya diganti; masuk lagi / This account "
    "was disabled or its password was reset; sign in again.",
    headers={"WWW-Authenticate": _BEARER},
)
SignedOut = _refusal(
    "SignedOut",
    PermissionError,
    401,
    "Sesi sudah berakhir / Signed out",
    "Akun ini sudah keluar dari semua perangkat; silakan masuk lagi "
    "/ This account was signed out everywhere; sign in again.",
    headers={"WWW-Authenticate": 'Bearer realm="mpp", error="invalid_token"'},
)
CaptureTimeRefused = _refusal(
    "CaptureTimeRefused",
    ValueError,
    422,
    "Waktu pencatatan tidak diterima / Capture time refused",
    "captured_at: {text}.",
    errors=[{"field": "captured_at", "message": "{text}"}],
)


class TooManyRequests(Rejected):
    """The account's rate limit; ``retry`` is when it may ask again, in seconds."""

    def __init__(self, retry: float) -> None:
        super().__init__(f"retry after {int(retry) + 1} s")
        self.retry = retry


def _too_many(r: TooManyRequests) -> Problem:
    retry = str(int(r.retry) + 1)
    return Problem(
        429,
        "Terlalu banyak permintaan / Too many requests",
        f"Too many requests from this account; retry after {retry} s.",
        headers={"Retry-After": retry},
    )


class IdentityRefused(Rejected):
    """Identity's refusal of a question intake asked for the caller, said again as
    identity worded it (its status, title, detail, type, fields and headers)."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        type_: str = "about:blank",
        headers: dict[str, str] | None = None,
        fields: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.type = status, title, detail, type_
        self.headers = headers
        self.fields = fields or {}


_answers(TooManyRequests, _too_many)
_answers(
    IdentityRefused,
    lambda r: Problem(
        r.status, r.title, r.detail, type_=r.type, headers=r.headers or None, **r.fields
    ),
)

# --- applications after submitting ----------------------------------------------------

NoSuchApplication = _refusal(
    "NoSuchApplication",
    LookupError,
    404,
    _NOT_FOUND,
    "You have no application with id {text}; see GET /api/v1/applications.",
)
BillsForCitizensAndCounters = _refusal(
    "BillsForCitizensAndCounters",
    PermissionError,
    403,
    "Khusus warga dan petugas loket / Citizens and counter operators only",
    "Tagihan dibuka oleh warga pemilik permohonan atau petugas loket yang menerimanya / "
    "A bill opens for the citizen whose application it is, or the counter that took it.",
)
NoCounterApplication = _refusal(
    "NoCounterApplication",
    LookupError,
    404,
    _NOT_FOUND,
    "Tidak ada permohonan loket {text} di wilayah Anda / No counter application {text} in "
    "your region.",
)
NoBillYet = _refusal(
    "NoBillYet",
    LookupError,
    404,
    "Belum ada tagihan / No bill yet",
    "Permohonan {text} belum memiliki tagihan; layanan gratis, atau tagihannya sedang "
    "dibuat, coba lagi sebentar / Application {text} has no bill: the service is free, or "
    "its bill is being made; try again in a moment.",
)
ConcurrentAnswer = _refusal(
    "ConcurrentAnswer",
    None,
    409,
    "Jawaban bersamaan / Concurrent answer",
    "Another answer to this request was just recorded; reload the application.",
)
EmptyAnswer = _refusal(
    "EmptyAnswer",
    ValueError,
    422,
    "Jawaban kosong / Empty answer",
    "Send the corrected fields in data, or documents, or both.",
)
NoSuchResult = _refusal(
    "NoSuchResult",
    LookupError,
    404,
    "Dokumen hasil tidak ditemukan / Result not found",
    "Permohonan ini tidak punya dokumen hasil {text} / This application has no "
    "result document {text}; see its results.",
)
LinkNotValid = _refusal(
    "LinkNotValid",
    PermissionError,
    403,
    "Tautan dokumen tidak berlaku / Document link not valid",
    "Tautan ini kedaluwarsa atau tidak sah; buka lagi permohonan di meja kerja "
    "untuk tautan baru / This link has expired or is not genuine; open the "
    "application in the workbench again for a fresh link.",
)
NotTheApplicationsDocument = _refusal(
    "NotTheApplicationsDocument",
    LookupError,
    404,
    _DOCUMENT_NOT_FOUND,
    "Dokumen ini bukan milik permohonan tersebut / This document is not one of "
    "that application's documents.",
)


class NotInThisStatus(Rejected):
    """The action is possible only in other statuses."""

    def __init__(self, status: str, action: str, allowed: str) -> None:
        super().__init__(status)
        self.status, self.action, self.allowed = status, action, allowed


class ResultRevoked(Rejected):
    """The agency revoked the result document; routing's words say why."""

    def __init__(self, title: str, detail: str) -> None:
        super().__init__(detail)
        self.title, self.detail = title, detail


_answers(
    NotInThisStatus,
    lambda r: Problem(
        409,
        "Tidak dapat dilakukan pada status ini / Not possible in this status",
        f"The application is {r.status!r}; {r.action} is possible only when it is {r.allowed}.",
        current_status=r.status,
    ),
)
_answers(ResultRevoked, lambda r: Problem(410, r.title, r.detail))

# --- documents and uploads -------------------------------------------------------------

DocumentTooLarge = _kind("DocumentTooLarge", ValueError, carries="limit")
UnsupportedDocumentType = _kind("UnsupportedDocumentType", ValueError)
_answers(DocumentTooLarge, lambda r: too_large(r.limit))  # worded as every service words it
_answers(UnsupportedDocumentType, lambda _: unsupported_type())
NoSuchUpload = _refusal(
    "NoSuchUpload", LookupError, 404, "Unggahan tidak ditemukan / Upload not found", "It expired."
)
BeyondUploadLength = _refusal(
    "BeyondUploadLength",
    None,
    413,
    "Melebihi panjang unggahan / Beyond the upload's length",
    "This upload is {r.length} bytes long; no more is taken.",
    carries="length",
)
UploadExpired = _refusal(
    "UploadExpired",
    None,
    410,
    "Unggahan kedaluwarsa / Upload expired",
    "Sebagian unggahan sudah dihapus; mulai unggahan baru / Parts of this upload "
    "expired: start a new one.",
)


class OffsetMismatch(Rejected):
    """Bytes sent from another offset than the upload is at."""

    def __init__(self, expected: int, sent: int) -> None:
        super().__init__(f"{expected} != {sent}")
        self.expected, self.sent = expected, sent


_answers(
    OffsetMismatch,
    lambda r: Problem(
        409,
        "Offset tidak sesuai / Offset mismatch",
        f"Unggahan ini sudah sampai byte {r.expected}, bukan {r.sent}; tanyakan posisinya "
        f"(HEAD) lalu lanjutkan dari sana / This upload is at byte {r.expected}, not "
        f"{r.sent}: ask where it is (HEAD) and go on from there.",
    ),
)

# --- Idempotency-Key -------------------------------------------------------------------

KeyMissing = _refusal(
    "KeyMissing",
    ValueError,
    400,
    "Idempotency-Key wajib / Idempotency-Key required",
    "Kirim header Idempotency-Key yang unik per pengajuan (mis. UUID) agar "
    "pengiriman ulang aman / Send a unique Idempotency-Key header per submission "
    '(e.g. a UUID: Idempotency-Key: "8e03978e-40d5-43e8-bc93-6894a57f9324") so '
    "retries are safe.",
    type_="https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/",
)
KeyInvalid = _refusal(
    "KeyInvalid",
    ValueError,
    400,
    "Idempotency-Key tidak valid / Invalid Idempotency-Key",
    "The Idempotency-Key must be 1–{r.longest} printable characters.",
    carries="longest",
)
KeyInFlight = _refusal(
    "KeyInFlight",
    None,
    409,
    "Permintaan sedang diproses / Request in progress",
    "A request with this Idempotency-Key is still being processed; retry in a moment.",
    headers={"Retry-After": "1"},
)
KeyReused = _kind("KeyReused", None)
_answers(KeyReused, lambda _: key_reused())  # worded as every service words it

# --- the queue (docs/queue.md) ---------------------------------------------------------

_SEE_SLOTS = "GET /api/v1/queue/slots"
NotBookable = _refusal(
    "NotBookable",
    LookupError,
    404,
    "Tidak bisa dipesan / Cannot be booked",
    "Layanan {r.what} tidak bisa dipesan antreannya di MPP wilayah ini / The service "
    "{r.what} cannot be booked at this region's MPP; see GET /api/v1/services.",
    carries="what",
)
NotAServiceDay = _refusal(
    "NotAServiceDay",
    ValueError,
    422,
    "Bukan hari layanan / Not a service day",
    "MPP tutup pada {r.day} (akhir pekan, hari libur, atau di luar jam buka); pilih "
    "tanggal lain / The MPP is closed on {r.day} (a weekend, a holiday, or no opening "
    "hours); choose another date.",
    carries="day",
    errors=[{"field": "date", "message": "closed on {r.day}"}],
)
SlotInThePast = _refusal(
    "SlotInThePast",
    ValueError,
    422,
    "Waktu sudah lewat / Slot already started",
    "Slot {r.slot} sudah dimulai atau lewat; pilih slot lain lewat " + _SEE_SLOTS + " / "
    "The slot {r.slot} has started or passed; choose another from " + _SEE_SLOTS + ".",
    carries="slot",
    errors=[{"field": "start", "message": "in the past"}],
)
NoSuchSlot = _refusal(
    "NoSuchSlot",
    ValueError,
    422,
    "Slot tidak ada / No such slot",
    "Tidak ada slot yang dimulai pukul {r.slot}; lihat " + _SEE_SLOTS + " / No slot "
    "starts at {r.slot}; see " + _SEE_SLOTS + ".",
    carries="slot",
    errors=[{"field": "start", "message": "not a slot's start"}],
)
SlotFull = _refusal(
    "SlotFull",
    None,
    409,
    "Slot sudah penuh / Slot fully booked",
    "Kuota daring slot {r.slot} sudah habis; pilih slot lain lewat " + _SEE_SLOTS + " "
    "atau datang langsung (sebagian tempat disediakan untuk yang datang langsung) / The "
    "online places of slot {r.slot} are taken; choose another slot from "
    + _SEE_SLOTS
    + ", or come in person (part of every slot is kept for walk-ins).",
    carries="slot",
)
OneBookingPerDay = _refusal(
    "OneBookingPerDay",
    None,
    409,
    "Sudah punya antrean hari itu / Already booked for that day",
    "Anda sudah memesan antrean layanan ini pada hari yang sama (kode {r.code}); batalkan "
    "dulu bila ingin pindah jam / You already hold a booking for this service on that day "
    "(code {r.code}); cancel it first to move to another time.",
    carries="code",
)
BookingNotFound = _refusal(
    "BookingNotFound",
    LookupError,
    404,
    "Antrean tidak ditemukan / Booking not found",
    "Tidak ada antrean aktif Anda dengan kode ini; lihat GET /api/v1/queue/bookings / "
    "You have no active booking with this code; see GET /api/v1/queue/bookings.",
)
BookingNeedsProvenAccount = _refusal(
    "BookingNeedsProvenAccount",
    PermissionError,
    403,
    "Akun belum terverifikasi / Account not verified yet",
    "Verifikasi email, nomor telepon dan NIK sebelum memesan antrean / Prove your email, "
    "phone and NIK before booking (GET /api/v1/me shows what is left).",
)
BookingForOwnApplication = _refusal(
    "BookingForOwnApplication",
    LookupError,
    404,
    "Permohonan tidak ditemukan / Application not found",
    "Antrean hanya bisa membawa permohonan atau draf Anda sendiri untuk layanan yang sama "
    "/ A booking carries only your own application or draft of the same service.",
    errors=[{"field": "application_id", "message": "not yours, or another service's"}],
)

# --- the queue in the building (docs/queue.md) ----------------------------------------

NotQueueStaff = _refusal(
    "NotQueueStaff",
    PermissionError,
    403,
    "Bukan petugas antrean / Not queue staff",
    "Hanya kios antrean atau petugas loket MPP wilayah ini ({text}) yang boleh melakukan "
    "ini / Only a queue kiosk or counter officer of this MPP's region may do this ({text}).",
)
StaffAccessEnded = _refusal(
    "StaffAccessEnded",
    PermissionError,
    401,
    "Akses petugas dicabut / Staff access revoked",
    "Akun petugas ini dinonaktifkan atau kata sandinya diganti; masuk lagi ({text}) / "
    "This staff account was disabled or its password was reset; sign in again ({text}).",
    headers={"WWW-Authenticate": "Bearer"},
)
ForeignStaffRevocation = _refusal(
    "ForeignStaffRevocation",
    ValueError,
    422,
    "Pencabutan akses dari sumber lain / Staff revocation from elsewhere",
    "Pencabutan akses petugas hanya diterima dari topik staf ({text}) / A staff revocation "
    "is accepted only from the staff topic ({text}).",
)
UnknownBookingCode = _refusal(
    "UnknownBookingCode",
    LookupError,
    404,
    "Kode antrean tidak dikenal / Unknown booking code",
    "Kode {text} bukan antrean di MPP ini; periksa kode atau ambil tiket datang langsung / "
    "The code {text} is no booking at this MPP; check the code, or take a walk-in ticket.",
)
NotCheckInTime = _refusal(
    "NotCheckInTime",
    ValueError,
    422,
    "Bukan waktu antrean ini / Not this booking's time",
    "Antrean ini untuk {text}; check-in dibuka 30 menit sebelum slot dan ditutup saat masa "
    "tenggangnya habis / This booking is for {text}; check-in opens 30 minutes before the "
    "slot and closes when its grace period ends.",
)
BookingNoLongerValid = _refusal(
    "BookingNoLongerValid",
    None,
    409,
    "Antrean sudah tidak berlaku / Booking no longer valid",
    "Antrean {text} sudah dibatalkan atau dilepas karena tidak check-in tepat waktu; ambil "
    "tiket datang langsung / The booking {text} was cancelled, or released when it was not "
    "checked in in time; take a walk-in ticket.",
)
WalkInsFull = _refusal(
    "WalkInsFull",
    None,
    409,
    "Kuota datang langsung penuh / Walk-in places taken",
    "Tempat untuk yang datang langsung pada slot {text} sudah habis; datang lagi pada slot "
    "berikutnya atau pesan lewat aplikasi / The walk-in places of the slot {text} are "
    "taken; come back for the next slot, or book one from the phone.",
)
MppClosedNow = _refusal(
    "MppClosedNow",
    ValueError,
    422,
    "MPP sedang tutup / The MPP is closed now",
    "Tidak ada slot layanan ini yang berjalan sekarang ({text}) / No slot of this service "
    "is under way now ({text}); see the opening hours in GET /api/v1/queue/slots.",
)
UnknownCounter = _refusal(
    "UnknownCounter",
    LookupError,
    422,
    "Loket tidak terdaftar / Counter not declared",
    "{text} bukan loket MPP ini; pilih salah satu loket yang terdaftar di paket wilayah "
    "(GET /api/v1/queue/counters) / {text} is not a counter of this MPP; choose one of the "
    "counters the region's package declares (GET /api/v1/queue/counters).",
)
NotThisCountersService = _refusal(
    "NotThisCountersService",
    ValueError,
    422,
    "Bukan layanan loket ini / Not this counter's service",
    "Loket ini tidak memanggil layanan {text}; pilih layanan loket ini atau loket lain / "
    "This counter does not call {text}; choose its own services, or another counter.",
)
TicketNotFound = _refusal(
    "TicketNotFound",
    LookupError,
    404,
    "Tiket tidak ditemukan / Ticket not found",
    "Tidak ada tiket {text} di MPP ini / There is no ticket {text} at this MPP.",
)
TicketNotInStep = _refusal(
    "TicketNotInStep",
    None,
    409,
    "Tiket tidak dalam status itu / Ticket not in that state",
    "Tiket {text} belum dipanggil atau sudah selesai; panggil dulu lewat POST "
    "/api/v1/queue/calls / The ticket {text} is not called yet or is finished already; "
    "call it first with POST /api/v1/queue/calls.",
)

# --- outages ---------------------------------------------------------------------------


class Unavailable(Exception):
    """A service intake depends on did not answer; nothing was stored (503)."""


class IdentityUnavailable(Unavailable):
    """Identity did not answer, or answered 5xx."""


class ResultsUnavailable(Unavailable):
    """Routing's document store did not answer."""


_answers(
    IdentityUnavailable,
    lambda _: Problem(
        503,
        "Layanan akun sementara tidak tersedia / Accounts temporarily unavailable",
        "Layanan akun tidak menjawab; tidak ada yang disimpan, coba lagi dengan "
        "Idempotency-Key yang sama / The accounts service is not answering; nothing was "
        "stored. Retry with the same Idempotency-Key.",
        headers={"Retry-After": "5"},
    ),
)
_answers(
    ResultsUnavailable,
    lambda _: Problem(
        503,
        "Dokumen hasil belum bisa diunduh / The result cannot be downloaded now",
        "Penyimpanan dokumen sedang tidak menjawab; coba lagi sebentar lagi / The document "
        "store is not answering; try again shortly.",
        headers={"Retry-After": "30"},
    ),
)

_TABLE = RefusalTable(_PROBLEMS, outage=Unavailable)
problem_for = _TABLE.problem_for
"""The problem a refusal answers (one not listed: 422 with its message; an outage: 503)."""
install_refusals = _TABLE.install
"""Answer every refusal a route lets through with its problem (:class:`RefusalTable`)."""

__all__ = [
    "CITIZEN_TOKEN_HEADER",
    "Unavailable",
    "install_refusals",
    "problem_for",
    *sorted(kind.__name__ for kind in _PROBLEMS),
]
