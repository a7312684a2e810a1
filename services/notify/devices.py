"""The devices a citizen registered for push: browsers (Web Push) and apps (FCM).

A device is a document in notify's own ``devices`` collection (apart from ``contacts``,
which holds the citizen's email and phone): its kind, what the push service needs to
reach it (a Web Push subscription — endpoint and keys — or an FCM registration token),
an optional name the citizen gave it, and when it was registered. A subscription is a
capability (whoever holds it can push to that browser), so it is never logged and never
shown again once registered; the API answers with the device's id, kind and name.

What reaches the device (the subscription or token, ``target``) rests sealed under the
citizen's data key (:mod:`shared.privacy.personal`): a push endpoint names one browser
of one person. It is opened only at send time, for that citizen; once the citizen
erases their account it cannot be opened, and notify deletes the devices when it hears
of the erasure (:meth:`DeviceStore.erase`).

The same subscription registered twice by one citizen is one device (keyed by a hash of
its endpoint or token). A citizen has at most ``MPP_PUSH_DEVICES_PER_CITIZEN`` devices:
registering one more drops the oldest (browsers make new subscriptions and forget old
ones). A device the push service says is gone (404/410, FCM ``UNREGISTERED``) is removed
by the sender (:meth:`DeviceStore.forget`).
"""

import hashlib
from collections.abc import Collection, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any, Literal

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.notify.contacts import Contacts
from shared.ids import uuid7
from shared.mongo import find_in
from shared.privacy.personal import Personal

__all__ = ["DeviceKind", "DeviceStore", "address_hash", "public_device", "with_push"]

DeviceKind = Literal["webpush", "fcm"]


def address_hash(kind: str, address: str) -> str:
    """What identifies a device without holding its address (endpoint or token)."""
    return hashlib.sha256(f"{kind}\n{address}".encode()).hexdigest()


def public_device(device: Mapping[str, Any]) -> dict[str, Any]:
    """What the citizen's app sees of a device: never the subscription or token."""
    return {
        "id": device["_id"],
        "kind": device["kind"],
        "name": device.get("name"),
        "created_at": device["created_at"],
        "last_push_at": device.get("last_push_at"),
    }


class DeviceStore:
    def __init__(self, db: AsyncDatabase, per_citizen: int, personal: Personal) -> None:
        self._devices = db["devices"]
        self._per_citizen = per_citizen
        self._personal = personal

    async def create_indexes(self) -> None:
        await self._devices.create_index(
            [("citizen_id", ASCENDING), ("address_hash", ASCENDING)], unique=True
        )
        await self._devices.create_index([("citizen_id", ASCENDING), ("created_at", DESCENDING)])

    async def register(
        self,
        citizen_id: str,
        kind: DeviceKind,
        address: str,
        target: dict[str, Any],
        name: str | None,
        now: datetime,
    ) -> tuple[dict[str, Any], bool]:
        """Store the device (or refresh the same one); (the device, whether it is new).

        ``target`` is what the sender needs: ``{"subscription": …}`` or ``{"token": …}``."""
        key, new_id = address_hash(kind, address), uuid7()
        query = {"citizen_id": citizen_id, "address_hash": key}
        sealed = await self._personal.seal(citizen_id, target)
        update = {
            "$set": {"target": sealed, "name": name, "kind": kind},
            "$unset": {"subscription": "", "token": ""},  # as stored before sealing
            "$setOnInsert": {"_id": new_id, "created_at": now},
        }
        try:
            device = await self._devices.find_one_and_update(
                query, update, upsert=True, return_document=ReturnDocument.AFTER
            )
        except DuplicateKeyError:  # registered twice at once: the other upsert won
            device = await self._devices.find_one_and_update(
                query, update, return_document=ReturnDocument.AFTER
            )
        created = device["_id"] == new_id
        if created:
            await self._keep_newest(citizen_id)
        return device, created

    async def _keep_newest(self, citizen_id: str) -> None:
        extra = (
            await self._devices.find({"citizen_id": citizen_id}, {"_id": 1})
            .sort([("created_at", DESCENDING), ("_id", DESCENDING)])
            .skip(self._per_citizen)
            .to_list(None)
        )
        if extra:
            await self._devices.delete_many({"_id": {"$in": [d["_id"] for d in extra]}})

    async def of(self, citizen_id: str) -> list[dict[str, Any]]:
        """The citizen's devices, newest first, each with what reaches it opened; those
        that no longer open (the citizen was erased) are left out."""
        found = (
            await self._devices.find({"citizen_id": citizen_id})
            .sort([("created_at", DESCENDING), ("_id", DESCENDING)])
            .to_list(None)
        )
        opened = []
        for device in found:
            if "target" in device:
                target = await self._personal.open(device.pop("target"), citizen_id)
                if not isinstance(target, dict):
                    continue
                device |= target
            opened.append(device)
        return opened

    async def erase(self, citizen_id: str) -> None:
        """An erased account: its devices are deleted (and could not be opened already)."""
        await self._devices.delete_many({"citizen_id": citizen_id})

    async def remove(self, citizen_id: str, device_id: str) -> bool:
        """Unregister one of the citizen's devices; False when it is not theirs."""
        result = await self._devices.delete_one({"_id": device_id, "citizen_id": citizen_id})
        return result.deleted_count == 1

    async def forget(self, device: Mapping[str, Any]) -> None:
        """The push service says the device is gone: remove it (unless it was registered
        again with another address meanwhile)."""
        await self._devices.delete_one(
            {"_id": device["_id"], "address_hash": device["address_hash"]}
        )

    async def pushed(self, device_ids: Collection[str], now: datetime) -> None:
        if device_ids:
            await self._devices.update_many(
                {"_id": {"$in": list(device_ids)}}, {"$set": {"last_push_at": now}}
            )

    async def citizens_with_devices(self, citizen_ids: Collection[str]) -> set[str]:
        found = await find_in(self._devices, "citizen_id", list(citizen_ids), {"citizen_id": 1})
        return {d["citizen_id"] for d in found}


async def with_push(store: DeviceStore, known: dict[str, Contacts]) -> dict[str, Contacts]:
    """``known`` with ``push`` set for the citizens who have a device, so that push is
    chosen (or skipped) in their order of preference like any other channel."""
    choosing = [citizen for citizen, contacts in known.items() if "push" in contacts.channels]
    if not choosing:
        return known
    reachable = await store.citizens_with_devices(choosing)
    return {c: replace(k, push=c in reachable) for c, k in known.items()}
