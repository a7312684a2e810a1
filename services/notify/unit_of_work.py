"""Notify's unit of work: a :class:`shared.unit_of_work.UnitOfWork` that also names
the stores a handler writes through.

A handler takes ``(event, uow)`` and reaches every collection as ``uow.notices``,
``uow.deliveries`` … rather than being handed stores one by one, so the handler table
(:mod:`services.notify.handlers`) is a list of plain callables, and a test passes a
unit of work holding fakes.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from pymongo import AsyncMongoClient

from services.notify.contacts import ContactsStore
from services.notify.delivery_store import DeliveryStore
from services.notify.devices import DeviceStore
from services.notify.inbox import InboxStore
from services.notify.surveys import SurveyStore
from shared.outbox import Outbox
from shared.runtime import Runtime
from shared.unit_of_work import Source, UnitOfWork, UnitsOfWork

__all__ = ["NotifyStores", "NotifyUnitOfWork", "NotifyUnits"]


@dataclass
class NotifyStores:
    """Each collection notify writes, through the one module that writes it."""

    notices: InboxStore
    """``notifications``: the in-app inbox."""
    deliveries: DeliveryStore
    """``deliveries``: sends on the outside channels."""
    contacts: ContactsStore
    """``contacts``: notify's projection of citizens' contacts."""
    devices: DeviceStore | None
    """``devices``: push devices (None: push is never chosen)."""
    surveys: SurveyStore
    """``surveys`` and the SKM answers."""


class NotifyUnitOfWork(UnitOfWork):
    """One transaction and its events, with notify's stores by name."""

    def __init__(
        self,
        mongo: AsyncMongoClient,
        outbox: Outbox | None,
        stores: NotifyStores,
        sources: dict[str, Source] | None = None,
    ) -> None:
        super().__init__(mongo, outbox, sources)
        self.notices = stores.notices
        self.deliveries = stores.deliveries
        self.contacts = stores.contacts
        self.devices = stores.devices
        self.surveys = stores.surveys


class NotifyUnits(UnitsOfWork):
    """Makes notify's units of work (the message bus makes one per consumed run), and
    the stores they name: the survey store answers in these units itself."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime.mongo)
        settings, db, personal = runtime.settings, runtime.db, runtime.personal
        self.devices = DeviceStore(db, settings.push_devices_per_citizen, personal)
        """The push devices, which the push sender reads too."""
        self.stores = NotifyStores(
            notices=InboxStore(db),
            deliveries=DeliveryStore(db),
            contacts=ContactsStore(db, personal),
            devices=self.devices,
            surveys=SurveyStore(
                units=self, db=db, topics=runtime.topics, secret=settings.survey_token_secret
            ),
        )

    def __call__(self, sources: Sequence[tuple[str, Source]] = ()) -> NotifyUnitOfWork:
        return NotifyUnitOfWork(self._mongo, self.outbox, self.stores, dict(sources))
