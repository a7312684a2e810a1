"""SNAP's two signatures: the access token's SHA256withRSA over ``clientId|timestamp`` and
each call's HMAC-SHA512 over ``METHOD:path:token:sha256(minified body):timestamp``. The
body digest meets the published SHA-256 vectors; whitespace never changes a signature,
and any other change does; a signature made with another key is refused."""

import base64
import hashlib
import hmac
import json

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from services.routing.payments.snap import (
    body_digest,
    minify,
    response_code,
    service_signature,
    service_string_to_sign,
    token_signature,
    verify_service_signature,
    verify_token_signature,
)

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
TIMESTAMP = "2026-12-07T10:00:00+07:00"
PATH = "/v1.0/transfer-va/payment"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
bodies = st.dictionaries(st.text(min_size=1, max_size=8), json_values, min_size=1, max_size=5)


def test_an_empty_body_digests_to_the_published_sha256_of_nothing():
    assert body_digest(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_the_string_to_sign_is_colon_separated_with_the_lowercase_hex_digest():
    body = b'{ "virtualAccountNo" : "  8888801234", "paidAmount": {"value": "725000.00"} }'
    digest = hashlib.sha256(
        b'{"virtualAccountNo":"  8888801234","paidAmount":{"value":"725000.00"}}'
    ).hexdigest()
    assert service_string_to_sign("post", PATH, "tok", body, TIMESTAMP) == (
        f"POST:{PATH}:tok:{digest}:{TIMESTAMP}"
    )


def test_the_call_signature_is_base64_hmac_sha512_of_the_string_to_sign():
    expected = hmac.new(
        b"secret", f"POST:{PATH}:tok:{body_digest(b'{}')}:{TIMESTAMP}".encode(), hashlib.sha512
    ).digest()
    assert service_signature("secret", "POST", PATH, "tok", b"{}", TIMESTAMP) == (
        base64.b64encode(expected).decode()
    )


@settings(max_examples=60)
@given(bodies, st.integers(min_value=0, max_value=4))
def test_whitespace_between_tokens_never_changes_the_signature(body, indent):
    compact = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    spaced = json.dumps(body, indent=indent, ensure_ascii=False)
    assert minify(spaced) == compact.encode("utf-8")
    signed = service_signature("secret", "POST", PATH, "tok", compact, TIMESTAMP)
    assert verify_service_signature(signed, "secret", "POST", PATH, "tok", spaced, TIMESTAMP)


@settings(max_examples=60)
@given(
    bodies,
    st.sampled_from(["method", "path", "token", "timestamp", "secret", "body"]),
)
def test_changing_any_part_of_a_call_makes_its_signature_fail(body, part):
    parts = {
        "secret": "secret",
        "method": "POST",
        "path": PATH,
        "token": "tok",
        "body": json.dumps(body),
        "timestamp": TIMESTAMP,
    }
    signed = service_signature(
        parts["secret"], parts["method"], parts["path"], parts["token"], parts["body"], TIMESTAMP
    )
    changed = dict(parts)
    changed[part] = json.dumps({**body, "\x00extra": 1}) if part == "body" else parts[part] + "x"
    assert not verify_service_signature(
        signed,
        changed["secret"],
        changed["method"],
        changed["path"],
        changed["token"],
        changed["body"],
        changed["timestamp"],
    )


@settings(max_examples=10, deadline=None)
@given(st.text(min_size=1, max_size=40).filter(lambda s: "|" not in s))
def test_a_token_request_verifies_with_its_own_key_and_no_other(client_key):
    signed = token_signature(KEY, client_key, TIMESTAMP)
    assert verify_token_signature(KEY.public_key(), signed, client_key, TIMESTAMP)
    assert not verify_token_signature(OTHER_KEY.public_key(), signed, client_key, TIMESTAMP)
    assert not verify_token_signature(KEY.public_key(), signed, client_key + "x", TIMESTAMP)
    assert not verify_token_signature(KEY.public_key(), "not base64!", client_key, TIMESTAMP)


def test_a_response_code_is_the_status_the_service_and_the_case():
    assert response_code(401, 25, 0) == "4012500"
    assert response_code(200, 25, 0) == "2002500"
    assert response_code(404, 25, 12) == "4042512"
    with pytest.raises(ValueError, match="HTTP status"):
        response_code(401, 100, 0)
