"""What intake refuses, and the problem each refusal answers: the one mapping.

Intake's handlers and stores (submissions, citizen actions, documents, uploads, mobile
batches, the idempotency keys, what identity answers) say "no" by raising a
:class:`~shared.errors.Rejected` subclass named for the rule, never an HTTP problem;
:func:`problem_for` words each as its problem+json document (Bahasa Indonesia first)
and :func:`install_refusals` answers it so on every route. An application, upload or
document of another citizen is refused as if it did not exist (404), so an id tells a
stranger nothing.

A service intake depends on not answering (identity, routing's document store) is not a
refusal — the same request may succeed in a moment — so it is :class:`Unavailable`
(503, nothing stored), answered from the same table.
"""

from collections.abc import Callable
from typing import Any

from shared.errors import Rejected
from shared.files import too_large, unsupported_type
from shared.idempotency import key_reused
from shared.problems import Problem
from shared.refusals import RefusalTable

__all__ = [
    "CITIZEN_TOKEN_HEADER",
    "BeyondUploadLength",
    "CaptureTimeRefused",
    "CitizenNikRequired",
    "ConcurrentAnswer",
    "DocumentTooLarge",
    "DocumentsNotUploaded",
    "EmptyAnswer",
    "IdentityRefused",
    "IdentityUnavailable",
    "InvalidForm",
    "KeyInFlight",
    "KeyInvalid",
    "KeyMissing",
    "KeyReused",
    "KioskCitizenMissing",
    "KioskTakesNoNik",
    "LinkNotValid",
    "MobileUnitsSendBatches",
    "NoSuchApplication",
    "NoSuchResult",
    "NoSuchUpload",
    "NotACitizensToken",
    "NotAnApplicant",
    "NotInThisStatus",
    "NotTheApplicationsDocument",
    "OffsetMismatch",
    "OperatorChannelOnly",
    "OutsideRegion",
    "ResultRevoked",
    "ResultsUnavailable",
    "SignedOut",
    "StaffAccountNotValid",
    "TooManyRequests",
    "Unavailable",
    "UnknownRegion",
    "UnknownService",
    "UnsupportedDocumentType",
    "UploadExpired",
    "install_refusals",
    "problem_for",
]

CITIZEN_TOKEN_HEADER = "X-Citizen-Token"  # noqa: S105 - a header name, not a secret
"""The header a kiosk sends the signed-in citizen's access token in."""


# --- submissions -------------------------------------------------------------------


class UnknownService(Rejected, LookupError):
    """No service in the catalogue has this code."""


class UnknownRegion(Rejected, LookupError):
    """No region in the catalogue has this code."""


class InvalidForm(Rejected, ValueError):
    """The form breaks the service's schema; ``errors`` names each field."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__(", ".join(e["field"] for e in errors))
        self.errors = errors


class DocumentsNotUploaded(Rejected, LookupError):
    """A document named by its sha256 is not one of the caller's uploads."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__(", ".join(e["field"] for e in errors))
        self.errors = errors


# --- who an application is for -----------------------------------------------------


class NotAnApplicant(Rejected, PermissionError):
    """Agency staff and administrators do not submit applications."""


class OperatorChannelOnly(Rejected, PermissionError):
    """The counter and kiosk channels, and ``citizen_nik``, are an operator's."""


class MobileUnitsSendBatches(Rejected, PermissionError):
    """A mobile unit's operator submits through batches."""


class OutsideRegion(Rejected, PermissionError):
    """An operator submits only in the region their account serves."""

    def __init__(self, region: str) -> None:
        super().__init__(region)
        self.region = region


class KioskTakesNoNik(Rejected, ValueError):
    """A kiosk serves the citizen signed in at it, never one named by NIK."""


class CitizenNikRequired(Rejected, ValueError):
    """A counter operator names the citizen by the NIK on the KTP in hand."""


class KioskCitizenMissing(Rejected, ValueError):
    """A kiosk sent no citizen's token."""


class NotACitizensToken(Rejected, PermissionError):
    """The token a kiosk sent is not a citizen's."""


class StaffAccountNotValid(Rejected, PermissionError):
    """The operator's account was disabled or its password reset."""


class SignedOut(Rejected, PermissionError):
    """The token was issued before its account signed out everywhere."""


class TooManyRequests(Rejected):
    """The account's rate limit; ``retry`` is when it may ask again, in seconds."""

    def __init__(self, retry: float) -> None:
        super().__init__(f"retry after {int(retry) + 1} s")
        self.retry = retry


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


# --- applications after submitting -------------------------------------------------


class NoSuchApplication(Rejected, LookupError):
    """The caller has no application with this id (it may be another citizen's)."""


class NotInThisStatus(Rejected):
    """The action is possible only in other statuses."""

    def __init__(self, status: str, action: str, allowed: str) -> None:
        super().__init__(status)
        self.status, self.action, self.allowed = status, action, allowed


class ConcurrentAnswer(Rejected):
    """Another answer to the same request for information was recorded first."""


class EmptyAnswer(Rejected, ValueError):
    """An answer with neither fields nor documents."""


class NoSuchResult(Rejected, LookupError):
    """The agency issued no result document with this code."""


class ResultRevoked(Rejected):
    """The agency revoked the result document; routing's words say why."""

    def __init__(self, title: str, detail: str) -> None:
        super().__init__(detail)
        self.title, self.detail = title, detail


# --- officers' document links ------------------------------------------------------


class LinkNotValid(Rejected, PermissionError):
    """A document link expired or not genuine."""


class NotTheApplicationsDocument(Rejected, LookupError):
    """The document is not one of that application's documents."""


# --- documents and uploads ---------------------------------------------------------


class DocumentTooLarge(Rejected, ValueError):
    """A document over the size limit (``limit`` bytes)."""

    def __init__(self, limit: int) -> None:
        super().__init__(str(limit))
        self.limit = limit


class UnsupportedDocumentType(Rejected, ValueError):
    """Content that is not a PDF, JPEG or PNG (read from the bytes, not the name)."""


class NoSuchUpload(Rejected, LookupError):
    """The upload is gone (it expired)."""


class OffsetMismatch(Rejected):
    """Bytes sent from another offset than the upload is at."""

    def __init__(self, expected: int, sent: int) -> None:
        super().__init__(f"{expected} != {sent}")
        self.expected, self.sent = expected, sent


class BeyondUploadLength(Rejected):
    """More bytes than the upload was created for."""

    def __init__(self, length: int) -> None:
        super().__init__(str(length))
        self.length = length


class UploadExpired(Rejected):
    """Pieces of the upload expired before it was complete."""


# --- mobile units ------------------------------------------------------------------


class CaptureTimeRefused(Rejected, ValueError):
    """A ``captured_at`` in the future or older than the capture window; says why."""


# --- Idempotency-Key ---------------------------------------------------------------


class KeyMissing(Rejected, ValueError):
    """A submission without an Idempotency-Key."""


class KeyInvalid(Rejected, ValueError):
    """An Idempotency-Key that is empty, too long or not printable."""

    def __init__(self, longest: int) -> None:
        super().__init__(str(longest))
        self.longest = longest


class KeyInFlight(Rejected):
    """The same key is still being processed."""


class KeyReused(Rejected):
    """The key answered a different request before."""


# --- outages -----------------------------------------------------------------------


class Unavailable(Exception):
    """A service intake depends on did not answer; nothing was stored (503)."""


class IdentityUnavailable(Unavailable):
    """Identity did not answer, or answered 5xx."""


class ResultsUnavailable(Unavailable):
    """Routing's document store did not answer."""


_NOT_FOUND = "Tidak ditemukan / Not found"
_OUTSIDE_REGION = "Di luar wilayah MPP Anda / Outside your MPP's region"
_INVALID_FORM = "Data formulir tidak valid / Invalid form data"
_CHECK_FIELDS = "Periksa isian berikut / Check these fields: "
_NOT_IN_STATUS = "Tidak dapat dilakukan pada status ini / Not possible in this status"
_IETF_KEY = "https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/"
_BEARER = 'Bearer realm="mpp"'


def _identity_refused(r: IdentityRefused) -> Problem:
    return Problem(r.status, r.title, r.detail, type_=r.type, headers=r.headers or None, **r.fields)


def _outside_region(r: OutsideRegion) -> Problem:
    return Problem(
        403,
        _OUTSIDE_REGION,
        f"Akun ini melayani wilayah {r.region} / This account serves region {r.region} only.",
        errors=[{"field": "region", "message": f"must be {r.region}"}],
    )


def _too_many(r: TooManyRequests) -> Problem:
    retry = str(int(r.retry) + 1)
    return Problem(
        429,
        "Terlalu banyak permintaan / Too many requests",
        f"Too many requests from this account; retry after {retry} s.",
        headers={"Retry-After": retry},
    )


def _captured(r: CaptureTimeRefused) -> Problem:
    return Problem(
        422,
        "Waktu pencatatan tidak diterima / Capture time refused",
        f"captured_at: {r}.",
        errors=[{"field": "captured_at", "message": str(r)}],
    )


def _key_reused(_: KeyReused) -> Problem:
    return key_reused()


_SUBMITTING: dict[type[Exception], Callable[[Any], Problem]] = {
    UnknownService: lambda r: Problem(
        422,
        "Layanan tidak dikenal / Unknown service",
        f"There is no service with code {str(r)!r}; see GET /api/v1/services.",
        errors=[{"field": "service", "message": "unknown service"}],
    ),
    UnknownRegion: lambda r: Problem(
        422,
        "Wilayah tidak dikenal / Unknown region",
        f"There is no region with code {str(r)!r}; see GET /api/v1/regions.",
        errors=[{"field": "region", "message": "unknown region"}],
    ),
    InvalidForm: lambda r: Problem(422, _INVALID_FORM, _CHECK_FIELDS + str(r), errors=r.errors),
    DocumentsNotUploaded: lambda r: Problem(
        422,
        "Dokumen tidak ditemukan / Document not found",
        "Unggah dokumen dulu lewat POST /api/v1/documents / Upload documents first "
        "with POST /api/v1/documents, then send their sha256.",
        errors=r.errors,
    ),
    NotAnApplicant: lambda _: Problem(
        403,
        "Khusus warga, loket dan kios / Citizens, counters and kiosks only",
        "Agency staff and administrators do not submit applications.",
    ),
    OperatorChannelOnly: lambda _: Problem(
        403,
        "Khusus petugas loket dan kios / Counter and kiosk only",
        "The counter and kiosk channels and citizen_nik need an operator credential.",
    ),
    MobileUnitsSendBatches: lambda _: Problem(
        403,
        "Layanan keliling mengirim per batch / Mobile units send batches",
        "Petugas layanan keliling mengirim permohonan lewat POST /api/v1/batches "
        "(satu batch boleh berisi satu permohonan) / A mobile unit's operator sends "
        "applications through POST /api/v1/batches (a batch may hold one).",
    ),
    OutsideRegion: _outside_region,
    KioskTakesNoNik: lambda _: Problem(
        422,
        "Kios tidak menerima NIK / Kiosks do not take a NIK",
        "NIK bukan bukti identitas; warga masuk di kios dengan akunnya sendiri / A "
        f"NIK proves nothing: the citizen signs in at the kiosk, and the kiosk "
        f"sends their token in {CITIZEN_TOKEN_HEADER}.",
        errors=[{"field": "citizen_nik", "message": "not for kiosks"}],
    ),
    CitizenNikRequired: lambda _: Problem(
        422,
        "NIK warga wajib / Citizen's NIK required",
        "A counter operator submits for a citizen: send citizen_nik.",
        errors=[{"field": "citizen_nik", "message": "required for counter operators"}],
    ),
    KioskCitizenMissing: lambda _: Problem(
        422,
        "Warga belum masuk di kios / Citizen not signed in at the kiosk",
        f"Warga masuk di kios dengan akunnya sendiri; kirim tokennya di {CITIZEN_TOKEN_HEADER}"
        f" / The citizen signs in at the kiosk with their own account; send their access "
        f"token in {CITIZEN_TOKEN_HEADER} (a NIK alone proves nothing).",
        errors=[{"field": CITIZEN_TOKEN_HEADER, "message": "required for kiosks"}],
    ),
    NotACitizensToken: lambda _: Problem(
        403,
        "Bukan akun warga / Not a citizen's account",
        f"{CITIZEN_TOKEN_HEADER} must carry a citizen's token.",
    ),
    StaffAccountNotValid: lambda _: Problem(
        401,
        "Akun petugas tidak berlaku / Staff account not valid",
        "Akun ini dinonaktifkan atau kata sandinya diganti; masuk lagi / This account "
        "was disabled or its password was reset; sign in again.",
        headers={"WWW-Authenticate": _BEARER},
    ),
    SignedOut: lambda _: Problem(
        401,
        "Sesi sudah berakhir / Signed out",
        "Akun ini sudah keluar dari semua perangkat; silakan masuk lagi "
        "/ This account was signed out everywhere; sign in again.",
        headers={"WWW-Authenticate": 'Bearer realm="mpp", error="invalid_token"'},
    ),
    TooManyRequests: _too_many,
    IdentityRefused: _identity_refused,
    CaptureTimeRefused: _captured,
}

_AFTERWARDS: dict[type[Exception], Callable[[Any], Problem]] = {
    NoSuchApplication: lambda r: Problem(
        404,
        _NOT_FOUND,
        f"You have no application with id {r}; see GET /api/v1/applications.",
    ),
    NotInThisStatus: lambda r: Problem(
        409,
        _NOT_IN_STATUS,
        f"The application is {r.status!r}; {r.action} is possible only when it is {r.allowed}.",
        current_status=r.status,
    ),
    ConcurrentAnswer: lambda _: Problem(
        409,
        "Jawaban bersamaan / Concurrent answer",
        "Another answer to this request was just recorded; reload the application.",
    ),
    EmptyAnswer: lambda _: Problem(
        422,
        "Jawaban kosong / Empty answer",
        "Send the corrected fields in data, or documents, or both.",
    ),
    NoSuchResult: lambda r: Problem(
        404,
        "Dokumen hasil tidak ditemukan / Result not found",
        f"Permohonan ini tidak punya dokumen hasil {r} / This application has no "
        f"result document {r}; see its results.",
    ),
    ResultRevoked: lambda r: Problem(410, r.title, r.detail),
    LinkNotValid: lambda _: Problem(
        403,
        "Tautan dokumen tidak berlaku / Document link not valid",
        "Tautan ini kedaluwarsa atau tidak sah; buka lagi permohonan di meja kerja "
        "untuk tautan baru / This link has expired or is not genuine; open the "
        "application in the workbench again for a fresh link.",
    ),
    NotTheApplicationsDocument: lambda _: Problem(
        404,
        "Dokumen tidak ditemukan / Document not found",
        "Dokumen ini bukan milik permohonan tersebut / This document is not one of "
        "that application's documents.",
    ),
    DocumentTooLarge: lambda r: too_large(r.limit),
    UnsupportedDocumentType: lambda _: unsupported_type(),
    NoSuchUpload: lambda _: Problem(
        404, "Unggahan tidak ditemukan / Upload not found", "It expired."
    ),
    OffsetMismatch: lambda r: Problem(
        409,
        "Offset tidak sesuai / Offset mismatch",
        f"Unggahan ini sudah sampai byte {r.expected}, bukan {r.sent}; tanyakan posisinya "
        f"(HEAD) lalu lanjutkan dari sana / This upload is at byte {r.expected}, not "
        f"{r.sent}: ask where it is (HEAD) and go on from there.",
    ),
    BeyondUploadLength: lambda r: Problem(
        413,
        "Melebihi panjang unggahan / Beyond the upload's length",
        f"This upload is {r.length} bytes long; no more is taken.",
    ),
    UploadExpired: lambda _: Problem(
        410,
        "Unggahan kedaluwarsa / Upload expired",
        "Sebagian unggahan sudah dihapus; mulai unggahan baru / Parts of this upload "
        "expired: start a new one.",
    ),
}

_KEYS: dict[type[Exception], Callable[[Any], Problem]] = {
    KeyMissing: lambda _: Problem(
        400,
        "Idempotency-Key wajib / Idempotency-Key required",
        "Kirim header Idempotency-Key yang unik per pengajuan (mis. UUID) agar "
        "pengiriman ulang aman / Send a unique Idempotency-Key header per submission "
        '(e.g. a UUID: Idempotency-Key: "8e03978e-40d5-43e8-bc93-6894a57f9324") so '
        "retries are safe.",
        type_=_IETF_KEY,
    ),
    KeyInvalid: lambda r: Problem(
        400,
        "Idempotency-Key tidak valid / Invalid Idempotency-Key",
        f"The Idempotency-Key must be 1–{r.longest} printable characters.",
    ),
    KeyInFlight: lambda _: Problem(
        409,
        "Permintaan sedang diproses / Request in progress",
        "A request with this Idempotency-Key is still being processed; retry in a moment.",
        headers={"Retry-After": "1"},
    ),
    KeyReused: _key_reused,
    IdentityUnavailable: lambda _: Problem(
        503,
        "Layanan akun sementara tidak tersedia / Accounts temporarily unavailable",
        "Layanan akun tidak menjawab; tidak ada yang disimpan, coba lagi dengan "
        "Idempotency-Key yang sama / The accounts service is not answering; nothing was "
        "stored. Retry with the same Idempotency-Key.",
        headers={"Retry-After": "5"},
    ),
    ResultsUnavailable: lambda _: Problem(
        503,
        "Dokumen hasil belum bisa diunduh / The result cannot be downloaded now",
        "Penyimpanan dokumen sedang tidak menjawab; coba lagi sebentar lagi / The document "
        "store is not answering; try again shortly.",
        headers={"Retry-After": "30"},
    ),
}

_PROBLEMS = {**_SUBMITTING, **_AFTERWARDS, **_KEYS}


_TABLE = RefusalTable(_PROBLEMS, outage=Unavailable)
problem_for = _TABLE.problem_for
"""The problem a refusal answers (one not listed: 422 with its message; an outage: 503)."""
install_refusals = _TABLE.install
"""Answer every refusal a route lets through with its problem (:class:`RefusalTable`)."""
