"""A service run in-process against the real broker and database."""

from tests.e2e.helpers import eventually, submit


async def test_intake_accepts_an_application_and_its_event_reaches_the_broker(service_app):
    intake = await service_app("intake")
    accepted = await submit(intake)
    assert accepted["tracking_number"].startswith("3576-")
    outbox = intake.app.state.runtime.db["outbox"]
    await eventually(lambda: outbox.count_documents({}), timeout=10, until=lambda n: n == 0)
    ready = await intake.get("/readyz")
    assert ready.status_code == 200
