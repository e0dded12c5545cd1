"""PayPal webhook signatures: RSA-SHA256 over ``id|time|webhook_id|crc32(body)``.

The certificate comes from ``PAYPAL-CERT-URL``; only PayPal's own HTTPS hosts are trusted, so a
forger cannot point us at a certificate of their own.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from collections.abc import Callable, Mapping
from urllib.parse import urlparse

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from storeguard.integrations.errors import IntegrationError

HEADER_ID = "paypal-transmission-id"
HEADER_TIME = "paypal-transmission-time"
HEADER_SIG = "paypal-transmission-sig"
HEADER_CERT_URL = "paypal-cert-url"
HEADER_ALGO = "paypal-auth-algo"
KEPT_HEADERS = (HEADER_ID, HEADER_TIME, HEADER_CERT_URL, HEADER_ALGO)
TRUSTED_HOST_SUFFIXES = (".paypal.com",)


class PayPalSignatureError(Exception):
    """Why a PayPal signature was refused, as a machine code."""

    def __init__(self, code: IntegrationError, message: str) -> None:
        super().__init__(message)
        self.code = code


def signed_string(transmission_id: str, transmission_time: str, webhook_id: str, body: bytes) -> str:
    """Build the string PayPal signs: the CRC32 of the raw body as an unsigned decimal."""
    crc = zlib.crc32(body) & 0xFFFFFFFF
    return f"{transmission_id}|{transmission_time}|{webhook_id}|{crc}"


def cert_url_trusted(url: str) -> bool:
    """Tell whether a certificate URL is on one of PayPal's HTTPS hosts."""
    parsed = urlparse(url)
    host = (parsed.hostname or "").lower()
    return parsed.scheme == "https" and any(host.endswith(s) for s in TRUSTED_HOST_SUFFIXES)


def verify_signature(
    body: bytes,
    headers: Mapping[str, str],
    webhook_id: str,
    load_certificate: Callable[[str], bytes],
) -> None:
    """Verify a PayPal delivery; raise PayPalSignatureError when it does not hold."""
    lowered = {k.lower(): v for k, v in headers.items()}
    missing = [h for h in (HEADER_ID, HEADER_TIME, HEADER_SIG, HEADER_CERT_URL) if not lowered.get(h)]
    if missing:
        raise PayPalSignatureError(
            IntegrationError.signature_missing, f"missing header(s): {', '.join(missing)}"
        )
    algo = lowered.get(HEADER_ALGO, "SHA256withRSA")
    if algo.upper() != "SHA256WITHRSA":
        raise PayPalSignatureError(
            IntegrationError.signature_algorithm_unsupported, f"auth algorithm {algo} is not supported"
        )
    cert_url = lowered[HEADER_CERT_URL]
    pem = load_certificate(cert_url)
    try:
        cert = x509.load_pem_x509_certificate(pem)
        public_key = cert.public_key()
        signature = base64.b64decode(lowered[HEADER_SIG], validate=True)
    except (ValueError, binascii.Error) as exc:
        raise PayPalSignatureError(
            IntegrationError.signature_malformed, f"unreadable certificate or signature: {exc}"
        ) from None
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise PayPalSignatureError(
            IntegrationError.signature_malformed, "the certificate does not hold an RSA key"
        )
    message = signed_string(lowered[HEADER_ID], lowered[HEADER_TIME], webhook_id, body).encode()
    try:
        public_key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise PayPalSignatureError(
            IntegrationError.signature_invalid, "the signature does not match"
        ) from None


_cert_cache: dict[str, bytes] = {}


def fetch_certificate(url: str) -> bytes:
    """Download (and cache) a PayPal signing certificate from a trusted PayPal host."""
    if not cert_url_trusted(url):
        raise PayPalSignatureError(
            IntegrationError.cert_url_untrusted, f"certificate URL {url!r} is not a PayPal HTTPS URL"
        )
    if url not in _cert_cache:
        response = httpx.get(url, timeout=10)
        response.raise_for_status()
        _cert_cache[url] = response.content
    return _cert_cache[url]
