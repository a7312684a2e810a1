"""The local stand-ins ``make up`` starts, as the real process (``python -m ops.simulators``)
on free ports: the Dukcapil simulator answers only match or no match, and the mailbox
keeps what arrives over real SMTP and the provider API."""

import signal
import smtplib
import socket
import uuid
from collections.abc import Iterator
from email.message import EmailMessage

import httpx
import pytest

from ops.processes import PlatformProcess
from ops.sample_data import TEST_IDENTITIES
from ops.simulators import local_stand_ins
from ops.simulators.mailbox import Mailbox, Received
from ops.simulators.running import DUKCAPIL_TOKEN, LAPOR_TOKEN, PROVIDER_TOKEN, start_stand_ins
from shared.settings import Settings

SITI = TEST_IDENTITIES[0]


def _start(tmp_path_factory: pytest.TempPathFactory) -> tuple[PlatformProcess, dict[str, int]]:
    return start_stand_ins(tmp_path_factory.mktemp("simulators"))


@pytest.fixture(scope="module")
def ports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, int]]:
    process, ports = _start(tmp_path_factory)
    yield ports
    process.stop()


@pytest.fixture
def dukcapil(ports: dict[str, int]) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=f"http://127.0.0.1:{ports['dukcapil']}",
        headers={"Authorization": f"Bearer {DUKCAPIL_TOKEN}"},
        timeout=5,
    ) as client:
        yield client


@pytest.fixture
def mailbox(ports: dict[str, int]) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=f"http://127.0.0.1:{ports['mailbox']}",
        headers={"Authorization": f"Bearer {PROVIDER_TOKEN}"},
        timeout=5,
    ) as client:
        yield client


def _verify(client: httpx.Client, **claim: str) -> httpx.Response:
    return client.post("/v1/nik/verify", json={**SITI, **claim})


# Dukcapil simulator


@pytest.mark.parametrize("name", ["Siti Aminah", "  SITI   aminah ", "Siti. Aminah,"])
def test_a_known_resident_matches_whatever_the_case_spacing_and_punctuation_of_the_name(
    dukcapil, name
):
    answer = _verify(dukcapil, name=name)
    assert answer.status_code == 200
    assert answer.json() == {"match": True}  # nothing else: no population data


@pytest.mark.parametrize(
    "claim",
    [
        {"name": "Siti Aminah Putri"},
        {"birth_date": "1990-07-06"},
        {"nik": "3576014507909999"},
    ],
    ids=["wrong name", "wrong birth date", "unknown NIK"],
)
def test_a_claim_that_differs_in_anything_does_not_match(dukcapil, claim):
    answer = _verify(dukcapil, **claim)
    assert answer.status_code == 200
    assert answer.json() == {"match": False}


@pytest.mark.parametrize("authorization", [None, "Bearer not-the-token", DUKCAPIL_TOKEN])
def test_a_wrong_or_missing_token_is_refused_with_a_problem(ports, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    answer = httpx.post(
        f"http://127.0.0.1:{ports['dukcapil']}/v1/nik/verify", json=SITI, headers=headers
    )
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"
    assert "Siti" not in answer.text


@pytest.mark.parametrize(
    "claim",
    [{"nik": "12345"}, {"birth_date": "05-07-1990"}, {"name": ""}],
    ids=["short NIK", "not ISO date", "empty name"],
)
def test_a_malformed_claim_is_refused_with_422(dukcapil, claim):
    answer = _verify(dukcapil, **claim)
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"


def test_an_added_identity_matches_from_then_on(dukcapil):
    resident = {"nik": "3578016002010042", "name": "Rina Kartika", "birth_date": "2001-02-20"}
    assert dukcapil.post("/v1/nik/verify", json=resident).json() == {"match": False}
    assert dukcapil.post("/v1/identities", json=resident).status_code == 201
    assert dukcapil.post("/v1/nik/verify", json=resident).json() == {"match": True}


def test_adding_an_identity_needs_the_token(ports):
    resident = {"nik": "3578016002010043", "name": "Tanpa Token", "birth_date": "2001-02-20"}
    answer = httpx.post(f"http://127.0.0.1:{ports['dukcapil']}/v1/identities", json=resident)
    assert answer.status_code == 401


def test_faults_fail_the_next_calls_with_their_status_and_every_call_is_counted(dukcapil):
    before = dukcapil.get("/v1/stats").json()["verify_calls"]
    assert dukcapil.post("/v1/faults", json={"fail_next": 2, "status": 502}).status_code == 204
    assert [_verify(dukcapil).status_code for _ in range(3)] == [502, 502, 200]
    assert dukcapil.get("/v1/stats").json() == {"verify_calls": before + 3}


def test_a_fault_with_a_delay_makes_the_caller_time_out(dukcapil):
    dukcapil.post("/v1/faults", json={"fail_next": 1, "delay_seconds": 1.0})
    with pytest.raises(httpx.ReadTimeout):
        dukcapil.post("/v1/nik/verify", json=SITI, timeout=0.3)
    assert _verify(dukcapil).json() == {"match": True}


def test_fail_next_zero_clears_the_faults(dukcapil):
    dukcapil.post("/v1/faults", json={"fail_next": 5})
    assert dukcapil.post("/v1/faults", json={"fail_next": 0}).status_code == 204
    assert _verify(dukcapil).status_code == 200


def test_the_page_lists_the_test_identities_to_register_with(dukcapil):
    page = dukcapil.get("/", headers={"Authorization": ""})
    assert page.status_code == 200
    assert page.text.index("Simulator verifikasi") < page.text.index("verification simulator")
    for identity in TEST_IDENTITIES:
        assert identity["nik"] in page.text
        assert identity["name"] in page.text
        assert identity["birth_date"] in page.text


# Mailbox


def test_an_email_sent_over_smtp_is_listed_for_its_recipient_with_its_text_part(ports, mailbox):
    to = f"warga-{uuid.uuid4().hex[:8]}@example.id"
    message = EmailMessage()
    message["From"] = "MPP Digital <noreply@mpp.local>"
    message["To"] = to
    message["Subject"] = "Kode verifikasi Anda"
    message.set_content("Kode Anda: 123456\nBerlaku 10 menit.\n")
    message.add_alternative("<p>Kode Anda: <b>123456</b></p>", subtype="html")
    with smtplib.SMTP("127.0.0.1", ports["smtp"], timeout=5) as smtp:
        smtp.send_message(message)

    listed = mailbox.get("/api/messages", params={"to": to.upper()}).json()

    assert [(m["kind"], m["to"], m["subject"]) for m in listed] == [
        ("email", to, "Kode verifikasi Anda")
    ]
    assert listed[0]["body"] == "Kode Anda: 123456\nBerlaku 10 menit.\n"
    assert listed[0]["received_at"]


def test_a_provider_message_is_accepted_and_listed_by_phone_number_newest_first(mailbox):
    phone = f"+62812{uuid.uuid4().int % 10**7:07d}"
    for channel, body in (("sms", "pertama"), ("whatsapp", "kedua")):
        sent = {"channel": channel, "to": phone, "body": body, "reference": f"ref-{body}"}
        answer = mailbox.post("/v1/messages", json=sent)
        assert answer.status_code == 202
        assert answer.json()["id"]

    for spelling in (phone, phone[1:], "0" + phone[3:]):
        listed = mailbox.get("/api/messages", params={"to": spelling}).json()
        assert [(m["kind"], m["body"]) for m in listed] == [
            ("whatsapp", "kedua"),
            ("sms", "pertama"),
        ], spelling


def test_the_provider_refuses_a_wrong_token(ports):
    sent = {"channel": "sms", "to": "+6281200000000", "body": "x", "reference": "r"}
    answer = httpx.post(
        f"http://127.0.0.1:{ports['mailbox']}/v1/messages",
        json=sent,
        headers={"Authorization": "Bearer wrong"},
    )
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"


def test_the_provider_refuses_an_unknown_channel_with_422(mailbox):
    sent = {"channel": "pigeon", "to": "+6281200000000", "body": "x", "reference": "r"}
    assert mailbox.post("/v1/messages", json=sent).status_code == 422


def test_the_mailbox_page_shows_what_arrived_in_bahasa_indonesia_first(mailbox):
    sent = {"channel": "sms", "to": "+6281299999999", "body": "<b>halo</b>", "reference": "p"}
    mailbox.post("/v1/messages", json=sent)
    page = mailbox.get("/")
    assert page.status_code == 200
    assert page.text.index("Kotak surat lokal") < page.text.index("Local mailbox")
    assert "&lt;b&gt;halo&lt;/b&gt;" in page.text


def test_both_answer_readyz(ports):
    for name in ("dukcapil", "mailbox"):
        assert httpx.get(f"http://127.0.0.1:{ports[name]}/readyz").status_code == 200


def test_the_mailbox_keeps_only_the_newest_messages():
    box = Mailbox(keep=3)
    for n in range(5):
        box.add(Received("sms", "+6281200000001", f"pesan {n}"))
    assert [m.body for m in box.newest_first()] == ["pesan 4", "pesan 3", "pesan 2"]


# SP4N-LAPOR! simulator


@pytest.fixture
def lapor(ports: dict[str, int]) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=f"http://127.0.0.1:{ports['lapor']}",
        headers={"Authorization": f"Bearer {LAPOR_TOKEN}"},
        timeout=5,
    ) as client:
        yield client


REPORT = {
    "kind": "pengaduan",
    "text": "Belum ada kabar",
    "service": "ktp-el",
    "region": "3576",
    "agency": "disdukcapil-3576",
}


def test_lapor_records_a_report_once_per_external_id_and_its_status_can_change(lapor):
    external = str(uuid.uuid4())
    first = lapor.post("/api/v1/laporan", json={**REPORT, "external_id": external})
    again = lapor.post("/api/v1/laporan", json={**REPORT, "external_id": external})
    assert (first.status_code, again.status_code) == (201, 200)
    tracking = first.json()["tracking_id"]
    assert again.json()["tracking_id"] == tracking
    assert lapor.get(f"/api/v1/laporan/{tracking}").json()["status"] == "diterima"
    assert (
        lapor.post(f"/v1/laporan/{tracking}/status", json={"status": "diproses"}).status_code == 204
    )
    assert lapor.get(f"/api/v1/laporan/{tracking}").json()["status"] == "diproses"
    assert lapor.get("/api/v1/laporan/LPR-999999").status_code == 404


@pytest.mark.parametrize(("mode", "status"), [("down", 503), ("error", 500)])
def test_lapor_faults_fail_the_next_calls_then_clear(lapor, mode, status):
    assert lapor.post("/v1/faults", json={"fail_next": 1, "mode": mode}).status_code == 204
    failed = lapor.post("/api/v1/laporan", json={**REPORT, "external_id": str(uuid.uuid4())})
    assert failed.status_code == status
    assert failed.headers["content-type"] == "application/problem+json"
    ok = lapor.post("/api/v1/laporan", json={**REPORT, "external_id": str(uuid.uuid4())})
    assert ok.status_code == 201


def test_a_slow_lapor_makes_the_caller_time_out(lapor):
    lapor.post("/v1/faults", json={"fail_next": 1, "mode": "slow", "delay_seconds": 2})
    with pytest.raises(httpx.TimeoutException):
        lapor.post(
            "/api/v1/laporan", json={**REPORT, "external_id": str(uuid.uuid4())}, timeout=0.5
        )


def test_lapor_refuses_a_wrong_token(ports):
    answer = httpx.post(
        f"http://127.0.0.1:{ports['lapor']}/api/v1/laporan",
        json={**REPORT, "external_id": "x"},
        headers={"Authorization": "Bearer wrong"},
    )
    assert answer.status_code == 401


# Which stand-ins run, and stopping


LOCAL = {
    "dukcapil_url": "http://localhost:8020",
    "messaging_provider_url": "http://localhost:8010",
    "smtp_host": "localhost",
    "smtp_port": 1025,
}


def test_stand_ins_run_only_for_the_services_the_settings_point_at_this_machine():
    local = local_stand_ins(Settings(**LOCAL))
    assert (local.dukcapil_port, local.mailbox_port, local.smtp_port) == (8020, 8010, 1025)

    real_dukcapil = local_stand_ins(
        Settings(**{**LOCAL, "dukcapil_url": "https://verifikasi.dukcapil.go.id"})
    )
    assert real_dukcapil.dukcapil_port is None
    assert real_dukcapil.ready_port == 8010

    real_smtp = local_stand_ins(Settings(**{**LOCAL, "smtp_host": "smtp.mpp.go.id"}))
    assert (real_smtp.mailbox_port, real_smtp.smtp_port) == (None, None)
    assert real_smtp.ready_port == 8020

    real_both = local_stand_ins(
        Settings(
            **{
                **LOCAL,
                "dukcapil_url": "https://verifikasi.dukcapil.go.id",
                "smtp_host": "smtp.mpp.go.id",
                "lapor_url": "https://api.lapor.go.id",
            }
        )
    )
    assert not real_both.any


def test_sigterm_stops_the_simulators_cleanly_and_frees_every_port(tmp_path_factory):
    process, ports = _start(tmp_path_factory)
    assert process.process is not None
    process.process.send_signal(signal.SIGTERM)
    assert process.process.wait(timeout=10) == 0
    for name, port in ports.items():
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0, f"{name} still listens"


def test_the_lapor_simulator_runs_only_when_its_url_points_at_this_machine():
    assert local_stand_ins(Settings(lapor_url="http://localhost:8021")).lapor_port == 8021
    assert local_stand_ins(Settings(lapor_url="https://api.lapor.go.id")).lapor_port is None
