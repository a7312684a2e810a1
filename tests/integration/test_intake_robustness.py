"""Whatever a client sends — any JSON body, any header value — intake answers with a
4xx problem document or a success, never a server error. Property-based, against the
real database and broker."""

import json
import uuid

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from tests.e2e.helpers import register, running_intake

PROBLEM = "application/problem+json"

EXAMPLES = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
async def intake(stack):
    generous = {"intake_rate_per_ip": 1_000_000, "intake_rate_per_account": 1_000_000}
    async with running_intake(stack, **generous) as client:
        yield client


@pytest.fixture(scope="module")
async def citizen(intake):
    return await register(intake)


scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
# Values in the right places reach deeper than wholly random documents do.
near_valid_submission = st.fixed_dictionaries(
    {
        "service": st.sampled_from(["ktp-el", "skck", "nib", ""]) | st.text(max_size=20),
        "region": st.sampled_from(["3576", "3514", "0000"]) | st.text(max_size=6),
        "data": st.dictionaries(
            st.sampled_from(["reason", "family_card_number", "$where", "a.b", "x"]),
            json_values,
            max_size=3,
        )
        | json_values,
    },
    optional={
        "channel": st.sampled_from(["web", "mobile", "counter", "kiosk"]) | json_values,
        "documents": st.lists(st.text(max_size=70), max_size=3) | json_values,
        "citizen_nik": st.text(alphabet="0123456789", min_size=15, max_size=17) | json_values,
        "status": json_values,
    },
)
# Forms that pass the schema, with any text and any size of number inside.
valid_submission = st.one_of(
    st.fixed_dictionaries(
        {
            "service": st.just("skck"),
            "region": st.sampled_from(["3576", "3514", "3671", "3574"]),
            "data": st.fixed_dictionaries({"purpose": st.text(min_size=3, max_size=60)}),
        },
        optional={"channel": st.sampled_from(["web", "mobile"])},
    ),
    st.fixed_dictionaries(
        {
            "service": st.just("nib"),
            "region": st.sampled_from(["3576", "3514"]),
            "data": st.fixed_dictionaries(
                {
                    "business_name": st.text(min_size=2, max_size=40),
                    "kbli": st.from_regex(r"[0-9]{5}", fullmatch=True),
                    "business_address": st.text(min_size=5, max_size=60),
                },
                optional={"capital_idr": st.integers(min_value=0, max_value=2**80)},
            ),
        }
    ),
)
near_valid_profile = st.dictionaries(
    st.sampled_from(
        ["language", "notification_channels", "address", "phone", "email", "nik", "name", "x"]
    ),
    json_values,
    max_size=4,
)
# Header values as raw bytes: any visible Latin-1 character (what HTTP lets through).
header_values = st.binary(max_size=80).map(
    lambda raw: bytes(b for b in raw if 0x20 <= b < 0x7F or b >= 0xA0)
)
bodies = st.one_of(
    json_values.map(lambda value: json.dumps(value).encode()),
    st.binary(max_size=200),
    st.just(b'{"service": NaN}'),
)


def assert_no_server_error(response) -> None:
    event(f"answered {response.status_code}")  # shown with --hypothesis-show-statistics
    assert response.status_code < 500, (response.status_code, response.text)
    if response.status_code >= 400:
        assert response.headers["content-type"] == PROBLEM, response.text
        assert response.json()["status"] == response.status_code


def headers_for(citizen, authorization, key, correlation, content_type) -> dict:
    headers: dict = {"Content-Type": content_type}
    headers["Authorization"] = (
        citizen.headers["Authorization"].encode() if authorization is None else authorization
    )
    if key is not None:
        headers["Idempotency-Key"] = key
    if correlation is not None:
        headers["X-Correlation-Id"] = correlation
    return headers


content_types = st.sampled_from([b"application/json", b"text/plain"]) | header_values
maybe_header = st.none() | header_values


NIB = {"business_name": "Warung", "kbli": "56101", "business_address": "Jl. Mawar 1"}


@EXAMPLES
@example(  # wider than BSON's 64-bit integers
    body={"service": "nib", "region": "3576", "data": {**NIB, "capital_idr": 2**64}},
    key=None,
    correlation=None,
    authorization=None,
)
@example(  # deeper than canonical JSON encoding goes
    body={
        "service": "skck",
        "region": "3576",
        "data": {"purpose": json.loads("[" * 300 + "]" * 300)},
    },
    key=None,
    correlation=None,
    authorization=None,
)
@given(
    body=valid_submission | near_valid_submission,
    key=maybe_header,
    correlation=maybe_header,
    authorization=st.none() | header_values,
)
async def test_any_submission_body_and_headers_get_an_answer_never_a_server_error(
    intake, citizen, body, key, correlation, authorization
):
    headers = headers_for(citizen, authorization, key, correlation, b"application/json")
    if key is None and authorization is None:
        headers["Idempotency-Key"] = str(uuid.uuid4())
    response = await intake.post(
        "/api/v1/applications", content=json.dumps(body).encode(), headers=headers
    )
    assert_no_server_error(response)


@EXAMPLES
@given(body=bodies, content_type=content_types, key=maybe_header)
async def test_any_bytes_sent_as_a_submission_get_a_problem_document_not_a_server_error(
    intake, citizen, body, content_type, key
):
    headers = headers_for(citizen, None, key, None, content_type)
    response = await intake.post("/api/v1/applications", content=body, headers=headers)
    assert_no_server_error(response)


@EXAMPLES
@given(
    body=st.fixed_dictionaries(
        {},
        optional={
            "nik": st.text(alphabet="0123456789", min_size=15, max_size=17) | json_values,
            "name": json_values,
            "email": st.emails() | json_values,
            "phone": st.from_regex(r"\+?[0-9 -]{6,16}", fullmatch=True) | json_values,
            "password": st.text(max_size=80) | json_values,
            "id": json_values,
        },
    )
    | json_values,
)
async def test_any_account_registration_gets_an_answer_never_a_server_error(intake, body):
    response = await intake.post("/api/v1/accounts", content=json.dumps(body).encode())
    assert_no_server_error(response)


@EXAMPLES
@given(body=near_valid_profile | json_values, content_type=content_types)
async def test_any_profile_change_gets_an_answer_never_a_server_error(
    intake, citizen, body, content_type
):
    headers = headers_for(citizen, None, None, None, content_type)
    response = await intake.patch("/api/v1/me", content=json.dumps(body).encode(), headers=headers)
    assert_no_server_error(response)


@EXAMPLES
@given(
    form=st.dictionaries(
        st.sampled_from(["username", "password", "grant_type", "scope", "client_id"])
        | st.text(max_size=10),
        st.text(max_size=60),
        max_size=5,
    ),
    raw=st.none() | bodies,
    content_type=st.none() | content_types,
)
async def test_any_sign_in_attempt_gets_an_answer_never_a_server_error(
    intake, form, raw, content_type
):
    headers = {} if content_type is None else {"Content-Type": content_type}
    if raw is None:
        response = await intake.post("/api/v1/auth/token", data=form, headers=headers)
    else:
        response = await intake.post("/api/v1/auth/token", content=raw, headers=headers)
    assert_no_server_error(response)
