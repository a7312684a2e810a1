"""The citizen's rights over their data (UU PDP 27/2022): a copy of it, and erasure.

**Access** ("download my data"): identity gathers what the platform holds about the
caller — from its own database the profile, signed-in devices and the account's history
(what staff did to it, and who); from intake the applications (with what each agency
received of the profile), drafts and documents; from notify the notices and push
devices; from audit who read the citizen's data and why — each of the other services
asked over HTTP with the citizen's own token, so each answers exactly as it would answer
the citizen. The export is stored sealed under the citizen's key and
fetched for ``MPP_DATA_EXPORT_SECONDS`` with the citizen's own token — its address
(``/api/v1/me/data-exports/{id}``) carries no credential, so a URL kept in browser
history or a proxy log opens nothing; nothing about anyone else is in it, and once the
account is erased the stored export can no longer be opened.

**Erasure**: the citizen confirms with their password. Their data key is destroyed
first (crypto-shredding, :mod:`shared.privacy.vault`): from then on every copy of their
personal data — in every service's database, on every topic, in the audit log, in
backups — is ciphertext nobody can open, while the stored bytes and so the audit
chain stay as they were. Intake is asked first to delete the drafts and count the open
applications (with the citizen's token, while it still counts; 503 and nothing erased
when intake does not answer). Then, in one transaction, the account is closed (personal
fields, indexes and password removed; every session ended), the NIK's ownership, the
exports and the account's history are deleted, and the request is recorded. What the
platform keeps (:data:`KEPT`) is told to the citizen; the retention sweeper deletes the
closed account after its period (docs/retention.md).

Each request is a ``DataRightExercised`` event on the accounts topic: in the audit log.
"""

import secrets
from datetime import timedelta
from typing import Any

import httpx
import structlog
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from services.identity.account_history import AccountHistory, erase_history
from services.identity.account_records import AccountRecords
from services.identity.nik_ownership import forget_owner
from services.identity.sealed_accounts import PERSONAL_FIELDS
from services.identity.sessions import Sessions
from shared.correlation import current_correlation_id
from shared.events import DataRightData, DataRightExercised, utcnow
from shared.outbox import Outbox
from shared.privacy.export import plain_json
from shared.privacy.personal import ERASED, Personal
from shared.problems import Problem
from shared.settings import Settings
from shared.topics import Topics
from shared.unit_of_work import Transaction, UnitsOfWork
from shared.web import internal_url

__all__ = ["KEPT", "DataRights"]

log = structlog.get_logger(__name__)

KEPT = [
    "Permohonan Anda (nomor lacak, layanan, status dan tanggalnya) disimpan selama masa "
    "retensi arsip instansi, tanpa data pribadi yang dapat dibaca / Your applications "
    "(tracking number, service, status and dates) are kept for the agencies' archive "
    "retention period, with no personal data anyone can read",
    "Log audit tetap utuh karena rantainya tidak boleh berubah; data pribadi Anda di dalamnya "
    "tidak dapat dibaca lagi / The audit log stays whole, as its chain must not change; your "
    "personal data in it can no longer be read",
    "Akun yang ditutup (tanpa data pribadi) dihapus setelah masa retensinya / The closed "
    "account (with no personal data) is deleted after its retention period",
    "Jawaban survei SKM tidak menyebut siapa pun dan tetap dihitung / Survey (SKM) answers "
    "name no one and stay counted",
]

_EXPORT_LIMIT = 500  # records per section: a citizen's history is far smaller

INTAKE_DATA_PATH = "/api/v1/my-data"
"""Intake's part of a citizen's data, read (and its drafts deleted) with their token."""


class DataRights:
    def __init__(
        self,
        *,
        mongo: AsyncMongoClient,
        db: AsyncDatabase,
        outbox: Outbox | None = None,
        topics: Topics,
        personal: Personal,
        sessions: Sessions,
        settings: Settings,
        units: UnitsOfWork | None = None,
        transports: dict[str, httpx.AsyncBaseTransport] | None = None,
    ) -> None:
        self.mongo = mongo
        self.units = units or UnitsOfWork(mongo, outbox)
        self.db = db
        self.exports = db["data_exports"]
        self.topics = topics
        self.personal = personal
        self.sessions = sessions
        self.settings = settings
        self.transports = transports or {}
        """Another service's transport by name: a test puts intake in the same process."""

    async def create_indexes(self) -> None:
        await self.exports.create_index("expires_at", expireAfterSeconds=0)

    # --- access ----------------------------------------------------------------------

    async def export(self, citizen_id: str, authorization: str) -> dict[str, Any]:
        """Gather, store sealed, and answer where to fetch it (with the same token) and
        until when."""
        intake = await self._remote("intake", authorization, {"held": INTAKE_DATA_PATH})
        held = {
            # One section for what the citizen gave at the platform's door, as exports
            # have always had it: identity's account beside intake's applications.
            "intake": {**await self._identity_part(citizen_id), **intake["held"]},
            "notify": await self._remote(
                "notify",
                authorization,
                {"notices": "/api/v1/notifications?limit=100", "devices": "/api/v1/devices"},
            ),
            "audit": await self._remote(
                "audit", authorization, {"access_log": "/api/v1/me/access-log"}
            ),
            "routing": {
                "note": "Routing holds the same applications as intake (above): status, the "
                "agency's requests and your answers; agencies read your profile fields only "
                "through their recorded API (see audit.access_log)."
            },
        }
        now = utcnow()
        expires_at = now + timedelta(seconds=self.settings.data_export_seconds)
        export_id = secrets.token_urlsafe(18)
        document = {
            "_id": export_id,
            "citizen_id": citizen_id,
            "sealed": await self.personal.seal(
                citizen_id, {"generated_at": now.isoformat(), "citizen_id": citizen_id, **held}
            ),
            "created_at": now,
            "expires_at": expires_at,
        }
        event = self._event(
            citizen_id,
            DataRightData(citizen_id=citizen_id, right="access", expires_at=expires_at),
        )

        async def write(tx: Transaction) -> None:
            await self.exports.insert_one(document, session=tx.session)
            tx.emit(self.topics.accounts, event)

        await self.units.run(write)
        log.info("data export made", citizen_id=citizen_id)
        return {"download": f"/api/v1/me/data-exports/{export_id}", "expires_at": expires_at}

    async def download(self, export_id: str, citizen_id: str) -> dict[str, Any]:
        """The citizen's own export, while it lasts; 404 for one that is gone, expired
        or someone else's (the same answer, so an id tells nothing)."""
        found = await self.exports.find_one(
            {"_id": export_id, "citizen_id": citizen_id, "expires_at": {"$gt": utcnow()}}
        )
        if found is None:
            raise Problem(
                404,
                "Salinan data tidak ditemukan / Export not found",
                "Salinan ini kedaluwarsa atau sudah dihapus; minta yang baru / This copy has "
                "expired or is gone; ask for a new one.",
            )
        opened = await self.personal.open(found["sealed"], citizen_id)
        if opened == ERASED:
            raise Problem(
                410,
                "Data sudah dihapus / Data erased",
                "Akun ini telah dihapus atas permintaan pemiliknya / This account was erased "
                "at its owner's request.",
            )
        return opened  # type: ignore[no-any-return]

    async def _identity_part(self, citizen_id: str) -> dict[str, Any]:
        account = await self.db["accounts"].find_one(
            {"_id": citizen_id}, {"password_hash": 0, "nik_index": 0, "email_index": 0}
        )
        profile = await self.personal.open_fields(account, PERSONAL_FIELDS, citizen_id)
        devices = (
            await self.db["sessions"]
            .find({"account_id": citizen_id}, {"_id": 0, "account_id": 0})
            .to_list(_EXPORT_LIMIT)
        )
        return plain_json(
            {
                "profile": profile,
                "signed_in_devices": devices,
                "account_history": await AccountHistory(self.db, self.personal).of(citizen_id),
            }
        )

    async def _remote(
        self, service: str, authorization: str, paths: dict[str, str], method: str = "GET"
    ) -> dict[str, Any]:
        """What ``service`` answers the citizen; 503 (nothing stored) when it cannot."""
        part: dict[str, Any] = {}
        async with httpx.AsyncClient(
            base_url=internal_url(self.settings, service),
            timeout=10,
            transport=self.transports.get(service),
        ) as client:
            for name, path in paths.items():
                try:
                    answer = await client.request(
                        method, path, headers={"Authorization": authorization}
                    )
                except httpx.HTTPError:
                    answer = None
                if answer is None or answer.status_code != 200:
                    raise Problem(
                        503,
                        "Salinan data belum bisa dibuat / The export cannot be made now",
                        f"Layanan {service} sedang tidak menjawab; coba lagi sebentar lagi / "
                        f"The {service} service is not answering; try again shortly.",
                        headers={"Retry-After": "30"},
                    )
                part[name] = answer.json()
        return part

    # --- erasure ---------------------------------------------------------------------

    async def erase(self, citizen_id: str, authorization: str) -> dict[str, Any]:
        """Shred the key, close the account, record it; what is kept and why."""
        intake = await self._remote(
            "intake", authorization, {"erased": INTAKE_DATA_PATH + "/erasure"}, method="POST"
        )
        open_applications = int(intake["erased"].get("open_applications", 0))
        await self.personal.vault.destroy(citizen_id)  # first: nothing readable after this
        now = utcnow()
        event = self._event(
            citizen_id, DataRightData(citizen_id=citizen_id, right="erasure", kept=KEPT)
        )

        async def close(tx: Transaction) -> None:
            await AccountRecords(self.db).erase(citizen_id, PERSONAL_FIELDS, now, tx.session)
            await self.sessions.sign_out_everywhere(citizen_id, tx.session)
            await forget_owner(self.db, citizen_id, tx.session)
            await self.exports.delete_many({"citizen_id": citizen_id}, session=tx.session)
            await erase_history(self.db, citizen_id, tx.session)
            tx.emit(self.topics.accounts, event)

        await self.units.run(close)
        self.sessions.signed_out(citizen_id, now)
        log.info("account erased", citizen_id=citizen_id, open_applications=open_applications)
        return {
            "erased_at": now,
            "kept": KEPT,
            "open_applications": open_applications,
        }

    # --- shared ------------------------------------------------------------------------

    def _event(self, citizen_id: str, data: DataRightData) -> DataRightExercised:
        return DataRightExercised(
            source="identity",
            subject=citizen_id,
            correlation_id=current_correlation_id(),
            data=data,
        )
