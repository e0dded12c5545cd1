"""Signature schemes as pure functions: known answers, variants, rotation, refusals."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import zlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from storeguard.integrations.platforms.paypal import signature as paypal
from storeguard.integrations.platforms.shopify import signature as shopify
from storeguard.integrations.platforms.square import signature as square
from storeguard.integrations.platforms.stripe import signature as stripe
from tests.conftest import shared_fixture


def _readme_answer(pattern: str) -> str:
    text = shared_fixture("README.md").read_text()
    match = re.search(pattern, text, re.S)
    assert match, f"known answer {pattern!r} not found in the fixtures README"
    return match.group(1)


def test_shopify_known_answer_from_shared_fixtures_verifies() -> None:
    expected = _readme_answer(
        r"secret `test_secret_key`, body `\{\"foo\": \"bar\"\}` \(with the space\) →\s*`([^`]+)`"
    )
    body = b'{"foo": "bar"}'
    assert shopify.compute_signature(body, "test_secret_key") == expected
    assert shopify.verify_signature(body, expected, ["test_secret_key"])


def test_square_known_answer_from_shared_fixtures_verifies() -> None:
    expected = _readme_answer(
        r"body\s*`\{\"data\":\{\"type\":\"webhooks\",\"id\":\">id<\"\}\}` →\s*`([^`]+)`"
    )
    body = b'{"data":{"type":"webhooks","id":">id<"}}'
    url = "https://webhook.site/webhooks"
    assert square.compute_signature(url, body, "signature-key") == expected
    assert square.verify_signature(url, body, expected, ["signature-key"])
    assert not square.verify_signature("https://webhook.site/other", body, expected, ["signature-key"])


def test_shopify_signature_is_the_base64_hmac_of_the_exact_body() -> None:
    body = b'{"id":1}'
    expected = base64.b64encode(hmac.new(b"s3cret", body, hashlib.sha256).digest()).decode()
    assert shopify.compute_signature(body, "s3cret") == expected
    assert not shopify.verify_signature(body + b" ", expected, ["s3cret"])  # one byte more: refused


def test_shopify_signature_accepts_the_previous_secret_during_rotation() -> None:
    body = b'{"id":2}'
    old_signed = shopify.compute_signature(body, "old")
    assert shopify.verify_signature(body, old_signed, ["new", "old"])
    assert not shopify.verify_signature(body, old_signed, ["new"])


@pytest.mark.parametrize("header", [None, "", "not-base64!!"])
def test_shopify_signature_refuses_missing_or_garbage_headers(header: str | None) -> None:
    assert not shopify.verify_signature(b"{}", header, ["s"])


def test_cookie_style_signatures_are_refused_as_webhook_signatures() -> None:
    """The right key over the right bytes, but in a cookie's shape (hex, url-safe unpadded, value.sig)."""
    body = b'{"id":3,"note":"??>>"}'
    digest = hmac.new(b"s", body, hashlib.sha256).digest()
    cookie_like = [
        digest.hex(),  # app-proxy / cookie hex digest
        base64.urlsafe_b64encode(digest).decode().rstrip("="),  # itsdangerous-style
        f"{base64.b64encode(body).decode()}.{base64.b64encode(digest).decode()}",  # value.signature cookie
        "sha256=" + digest.hex(),
    ]
    for header in cookie_like:
        assert not shopify.verify_signature(body, header, ["s"]), header
        assert not square.verify_signature("https://x", body, header, ["s"]), header
    with pytest.raises(stripe.StripeSignatureError):
        stripe.verify_signature(body, digest.hex(), ["s"], now_ts=1_700_000_000)


def test_shopify_header_lookup_accepts_prefixed_and_bare_names() -> None:
    assert (
        shopify.shopify_header({"X-Shopify-Topic": "orders/create"}, shopify.HEADER_TOPIC) == "orders/create"
    )
    assert shopify.shopify_header({"shopify-topic": "orders/paid"}, shopify.HEADER_TOPIC) == "orders/paid"
    assert shopify.shopify_header({"X-Other": "x"}, shopify.HEADER_TOPIC) is None


def test_stripe_signature_accepts_any_matching_v1_within_tolerance() -> None:
    body = b'{"id":"evt_1"}'
    good = stripe.compute_signature(body, "whsec_a", 1_700_000_000)
    header = f"t=1700000000,v1={'0' * 64},v1={good},v0=ignored"
    assert stripe.verify_signature(body, header, ["whsec_a"], now_ts=1_700_000_299) == 1_700_000_000


def test_stripe_signature_refuses_old_timestamps_and_wrong_secrets() -> None:
    body = b'{"id":"evt_2"}'
    header = stripe.signature_header(body, "whsec_a", 1_700_000_000)
    with pytest.raises(stripe.StripeSignatureError) as expired:
        stripe.verify_signature(body, header, ["whsec_a"], now_ts=1_700_000_301)
    assert expired.value.code == "signature_expired"
    with pytest.raises(stripe.StripeSignatureError) as wrong:
        stripe.verify_signature(body, header, ["whsec_b"], now_ts=1_700_000_000)
    assert wrong.value.code == "signature_invalid"


def test_stripe_signature_tries_the_previous_secret() -> None:
    body = b"{}"
    header = stripe.signature_header(body, "whsec_old", 100)
    assert stripe.verify_signature(body, header, ["whsec_new", "whsec_old"], now_ts=100) == 100


@pytest.mark.parametrize(
    "header,code",
    [
        (None, "signature_missing"),
        ("v1=abc", "signature_malformed"),
        ("t=12", "signature_malformed"),
        ("t=abc,v1=00", "signature_malformed"),
    ],
)
def test_stripe_signature_refuses_malformed_headers(header: str | None, code: str) -> None:
    with pytest.raises(stripe.StripeSignatureError) as exc:
        stripe.verify_signature(b"{}", header, ["s"], now_ts=12)
    assert exc.value.code == code


def test_paypal_signed_string_is_id_time_webhook_and_unsigned_crc32() -> None:
    body = b'{"id":"WH-1","event_type":"CUSTOMER.DISPUTE.CREATED"}'
    crc = zlib.crc32(body) & 0xFFFFFFFF
    assert paypal.signed_string("tx-1", "2025-03-01T10:00:00Z", "8PT597110X687430LKGECATA", body) == (
        f"tx-1|2025-03-01T10:00:00Z|8PT597110X687430LKGECATA|{crc}"
    )
    # A CRC32 with the top bit set must still print unsigned.
    assert paypal.signed_string("a", "b", "c", b"\xff" * 7).endswith(str(zlib.crc32(b"\xff" * 7)))


def make_paypal_certificate() -> tuple[rsa.RSAPrivateKey, bytes]:
    """A locally made key pair and self-signed certificate, standing in for PayPal's."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "messageverificationcerts.paypal.test")])
    now = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    return key, cert.public_bytes(serialization.Encoding.PEM)


def paypal_headers(
    key: rsa.RSAPrivateKey, body: bytes, webhook_id: str, transmission_id: str = "tx-1"
) -> dict[str, str]:
    """Headers PayPal would send, signed with ``key``."""
    when = "2025-03-01T10:00:00Z"
    message = paypal.signed_string(transmission_id, when, webhook_id, body).encode()
    sig = key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    return {
        "PAYPAL-TRANSMISSION-ID": transmission_id,
        "PAYPAL-TRANSMISSION-TIME": when,
        "PAYPAL-TRANSMISSION-SIG": base64.b64encode(sig).decode(),
        "PAYPAL-CERT-URL": "https://api.paypal.com/v1/notifications/certs/CERT-test",
        "PAYPAL-AUTH-ALGO": "SHA256withRSA",
    }


def test_paypal_signature_verifies_with_a_locally_made_key_pair() -> None:
    key, pem = make_paypal_certificate()
    body = b'{"id":"WH-2"}'
    headers = paypal_headers(key, body, "WEBHOOK1")
    paypal.verify_signature(body, headers, "WEBHOOK1", lambda url: pem)
    with pytest.raises(paypal.PayPalSignatureError) as other_hook:
        paypal.verify_signature(body, headers, "WEBHOOK2", lambda url: pem)
    assert other_hook.value.code == "signature_invalid"
    with pytest.raises(paypal.PayPalSignatureError):
        paypal.verify_signature(body + b" ", headers, "WEBHOOK1", lambda url: pem)


def test_paypal_signature_refuses_a_certificate_from_another_key() -> None:
    key, _ = make_paypal_certificate()
    _, other_pem = make_paypal_certificate()
    body = b"{}"
    with pytest.raises(paypal.PayPalSignatureError) as exc:
        paypal.verify_signature(body, paypal_headers(key, body, "W"), "W", lambda url: other_pem)
    assert exc.value.code == "signature_invalid"


@pytest.mark.parametrize(
    "url,trusted",
    [
        ("https://api.paypal.com/v1/notifications/certs/X", True),
        ("https://api.sandbox.paypal.com/certs/X", True),
        ("http://api.paypal.com/certs/X", False),
        ("https://paypal.com.evil.example/certs/X", False),
        ("https://evilpaypal.com/certs/X", False),
    ],
)
def test_paypal_certificates_are_only_fetched_from_paypal_https_hosts(url: str, trusted: bool) -> None:
    assert paypal.cert_url_trusted(url) is trusted
    if not trusted:
        with pytest.raises(paypal.PayPalSignatureError):
            paypal.fetch_certificate(url)
