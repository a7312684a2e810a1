"""Notify's API handlers, without HTTP or a database: fake inbox, survey and device
stores."""

from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Any

import pytest

from services.notify.api_handlers import (
    AnswerSurvey,
    ListNotices,
    MarkRead,
    PushConfig,
    RegisterDevice,
    ShowSurvey,
    answer_survey,
    list_devices,
    list_notices,
    mark_read,
    push_settings,
    register_device,
    survey_form,
    unregister_device,
)
from services.notify.device_models import FcmDevice, Subscription, SubscriptionKeys, WebPushDevice
from services.notify.refusals import problem_for
from services.notify.surveys import AlreadyAnswered, NotInvited
from shared.errors import Rejected
from shared.problems import Problem

NOW = datetime(2026, 11, 27, 10, tzinfo=UTC)


async def answered(call: Awaitable[Any]) -> Any:
    """What the route answers: the handler's result, or its refusal as a problem."""
    try:
        return await call
    except Rejected as refusal:
        raise problem_for(refusal) from refusal


def notice(id_: str, read_at: datetime | None = None) -> dict[str, Any]:
    return {
        "_id": id_,
        "application_id": "app-1",
        "tracking_number": "MPP-1",
        "service": "ktp",
        "status": "approved",
        "status_sequence": 2,
        "created_at": NOW,
        "read_at": read_at,
    }


class FakeInbox:
    def __init__(self, notices: dict[str, list[dict[str, Any]]]) -> None:
        self.notices = notices

    async def page(self, citizen_id: str, page: int, size: int) -> tuple[list[dict], int, int]:
        mine = self.notices.get(citizen_id, [])
        unread = sum(1 for n in mine if n["read_at"] is None)
        return mine[(page - 1) * size : page * size], len(mine), unread

    async def mark_read(self, citizen_id: str, notice_id: str, now: datetime) -> dict | None:
        for n in self.notices.get(citizen_id, []):
            if n["_id"] == notice_id:
                n["read_at"] = n["read_at"] or now
                return n
        return None


class FakeSurveys:
    def __init__(self, invited: dict[tuple[str, str], bool]) -> None:
        self.invited = invited  # (application, citizen) -> answered

    async def invitation(self, application_id: str, citizen_id: str) -> dict[str, Any]:
        if (application_id, citizen_id) not in self.invited:
            raise NotInvited(application_id)
        return {"answered": self.invited[application_id, citizen_id], "tracking_number": "MPP-1"}

    async def answer(self, application_id: str, citizen_id: str, scores: list[int]) -> Any:
        answered = await self.invitation(application_id, citizen_id)
        if answered["answered"]:
            raise AlreadyAnswered(application_id)
        self.invited[application_id, citizen_id] = True
        return type("Answer", (), {"scores": scores})()


class FakeDevices:
    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}

    async def register(
        self, citizen_id: str, kind: str, address: str, target: dict, name: str | None, now: Any
    ) -> tuple[dict[str, Any], bool]:
        id_ = f"{citizen_id}:{address}"
        created = id_ not in self.rows
        self.rows.setdefault(id_, {"_id": id_, "kind": kind, "name": name, "created_at": now})
        self.rows[id_]["citizen_id"] = citizen_id
        return self.rows[id_], created

    async def of(self, citizen_id: str) -> list[dict[str, Any]]:
        return [d for d in self.rows.values() if d["citizen_id"] == citizen_id]

    async def remove(self, citizen_id: str, device_id: str) -> bool:
        row = self.rows.get(device_id)
        if row is None or row["citizen_id"] != citizen_id:
            return False
        del self.rows[device_id]
        return True


class FakeVapid:
    public_key = "BPublic"


def push(fcm: bool = True) -> PushConfig:
    return PushConfig(FakeVapid(), fcm_enabled=fcm, allow_private_endpoints=False)


async def test_a_citizen_lists_their_notices_and_marks_one_read_once():
    inbox = FakeInbox({"c1": [notice("n1"), notice("n2")]})
    listed = await list_notices(ListNotices("c1", 1, 1), inbox)
    assert [n["id"] for n in listed["items"]] == ["n1"]
    assert (listed["total"], listed["unread"], listed["page_size"]) == (2, 2, 1)
    first = await mark_read(MarkRead("c1", "n1"), inbox)
    again = await mark_read(MarkRead("c1", "n1"), inbox)
    assert first["read_at"] is not None
    assert again["read_at"] == first["read_at"]


async def test_another_citizens_notice_is_not_found():
    inbox = FakeInbox({"c1": [notice("n1")]})
    with pytest.raises(Problem) as refused:
        await answered(mark_read(MarkRead("c2", "n1"), inbox))
    assert refused.value.status == 404


async def test_a_survey_opens_for_the_invited_citizen_and_takes_one_answer():
    surveys = FakeSurveys({("app-1", "c1"): False})
    form = await survey_form(ShowSurvey("c1", "app-1"), surveys)
    assert form["answered"] is False
    assert len(form["elements"]) == 9
    answer = AnswerSurvey("c1", "app-1", [4] * 9)
    assert (await answer_survey(answer, surveys))["scores"] == [4] * 9
    with pytest.raises(Problem) as twice:
        await answered(answer_survey(answer, surveys))
    assert twice.value.status == 409
    with pytest.raises(Problem) as stranger:
        await answered(survey_form(ShowSurvey("c2", "app-1"), surveys))
    assert stranger.value.status == 404


async def test_an_app_registers_once_lists_and_removes_its_device():
    devices = FakeDevices()
    command = RegisterDevice("c1", FcmDevice(kind="fcm", token="tok-1", name="Pixel"))
    first = await register_device(command, devices, push())
    again = await register_device(command, devices, push())
    assert (first.created, again.created) == (True, False)
    assert "token" not in first.device
    listed = await list_devices("c1", devices)
    assert [d["id"] for d in listed["items"]] == [first.device["id"]]
    with pytest.raises(Problem) as stranger:
        await answered(unregister_device("c2", first.device["id"], devices))
    assert stranger.value.status == 404
    await unregister_device("c1", first.device["id"], devices)
    assert devices.rows == {}


async def test_fcm_is_refused_while_it_is_off_and_a_private_push_endpoint_always():
    devices = FakeDevices()
    fcm = RegisterDevice("c1", FcmDevice(kind="fcm", token="tok-1"))
    with pytest.raises(Problem) as off:
        await answered(register_device(fcm, devices, push(fcm=False)))
    assert off.value.status == 422
    keys = SubscriptionKeys.model_construct(p256dh="x", auth="y")
    subscription = Subscription.model_construct(endpoint="https://127.0.0.1/push", keys=keys)
    web = RegisterDevice(
        "c1", WebPushDevice.model_construct(kind="webpush", subscription=subscription)
    )
    with pytest.raises(Problem) as private:
        await answered(register_device(web, devices, push()))
    assert private.value.status == 422
    assert devices.rows == {}


def test_push_settings_name_the_vapid_key_and_whether_fcm_is_on():
    assert push_settings(push(fcm=False)) == {
        "webpush": {"vapid_public_key": "BPublic"},
        "fcm": {"enabled": False},
    }
