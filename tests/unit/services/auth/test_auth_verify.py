"""ID-token verification against locally generated RSA keys served by a local certificate server.

The server speaks Google's format (``{key id: PEM x509 certificate}`` with ``Cache-Control``), so
the same google-auth code path that checks real Firebase tokens runs here, over loopback only.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from caliber_desktop.services.auth.verify import TokenError, TokenVerifier

PROJECT = "caliber-test"
ISSUER = f"https://securetoken.google.com/{PROJECT}"


@dataclass
class SigningKey:
    kid: str
    private: rsa.RSAPrivateKey
    cert_pem: str


def make_key(kid: str) -> SigningKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "securetoken.test")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(private, hashes.SHA256())
    )
    return SigningKey(kid, private, cert.public_bytes(serialization.Encoding.PEM).decode())


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(key: SigningKey, payload: dict[str, Any], *, kid: str | None = None) -> str:
    header = {"alg": "RS256", "typ": "JWT", "kid": kid or key.kid}
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    signature = key.private.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64(signature)}"


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    payload = {
        "iss": ISSUER,
        "aud": PROJECT,
        "sub": "uid-ann",
        "user_id": "uid-ann",
        "email": "ann@example.com",
        "name": "Ann Analyst",
        "auth_time": now - 10,
        "iat": now - 10,
        "exp": now + 3600,
    }
    payload.update(changes)
    return {k: v for k, v in payload.items() if v is not None}


@dataclass
class CertServer:
    url: str
    keys: dict[str, str] = field(default_factory=dict)
    hits: int = 0
    status: int = 200


@pytest.fixture(scope="module")
def signing_key() -> SigningKey:
    return make_key("key-1")


@pytest.fixture
def cert_server(signing_key: SigningKey) -> Iterator[CertServer]:
    """Google's x509 endpoint, on loopback: serves ``server.keys`` and counts requests."""
    state = CertServer(url="")
    state.keys[signing_key.kid] = signing_key.cert_pem

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.hits += 1
            body = json.dumps(state.keys).encode()
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Cache-Control", "public, max-age=3600")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/certs"
    yield state
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def verifier(cert_server: CertServer) -> TokenVerifier:
    return TokenVerifier(PROJECT, certs_url=cert_server.url, timeout=5)


def rejected(verify: Callable[[str], object], token: str) -> TokenError:
    with pytest.raises(TokenError) as caught:
        verify(token)
    assert not token or token not in str(caught.value)  # never echo the token
    return caught.value


def test_a_valid_token_is_accepted(verifier: TokenVerifier, signing_key: SigningKey) -> None:
    found = verifier.verify(sign(signing_key, claims()))
    assert (found.uid, found.email, found.name) == ("uid-ann", "ann@example.com", "Ann Analyst")
    assert found.expires_at > datetime.now(UTC)


def test_certificates_are_cached_between_verifications(
    verifier: TokenVerifier, signing_key: SigningKey, cert_server: CertServer
) -> None:
    for _ in range(3):
        verifier.verify(sign(signing_key, claims()))
    assert cert_server.hits == 1


def test_an_expired_token_is_rejected(verifier: TokenVerifier, signing_key: SigningKey) -> None:
    past = int(time.time()) - 7200
    error = rejected(verifier.verify, sign(signing_key, claims(iat=past, auth_time=past, exp=past)))
    assert error.category == "expired"
    assert error.reason == "invalid_token"
    assert "expired" in str(error)


def test_a_token_for_another_project_is_rejected(
    verifier: TokenVerifier, signing_key: SigningKey
) -> None:
    error = rejected(verifier.verify, sign(signing_key, claims(aud="someone-else")))
    assert error.category == "audience"
    assert "another Firebase project" in str(error)


def test_a_token_from_another_issuer_is_rejected(
    verifier: TokenVerifier, signing_key: SigningKey
) -> None:
    token = sign(signing_key, claims(iss="https://securetoken.google.com/someone-else"))
    assert rejected(verifier.verify, token).category == "issuer"
    token = sign(signing_key, claims(iss="https://accounts.google.com"))
    assert rejected(verifier.verify, token).category == "issuer"


def test_a_tampered_payload_is_rejected(verifier: TokenVerifier, signing_key: SigningKey) -> None:
    header, _, signature = sign(signing_key, claims()).split(".")
    forged = b64(json.dumps(claims(sub="uid-mallory", user_id="uid-mallory")).encode())
    error = rejected(verifier.verify, f"{header}.{forged}.{signature}")
    assert error.category == "signature"
    assert "signature" in str(error)


def test_a_token_signed_by_a_foreign_key_with_a_known_id_is_rejected(
    verifier: TokenVerifier, signing_key: SigningKey
) -> None:
    impostor = make_key(signing_key.kid)
    assert rejected(verifier.verify, sign(impostor, claims())).category == "signature"


def test_an_unknown_key_id_is_rejected_after_one_refetch(
    verifier: TokenVerifier, signing_key: SigningKey, cert_server: CertServer
) -> None:
    verifier.verify(sign(signing_key, claims()))
    error = rejected(verifier.verify, sign(make_key("key-unknown"), claims()))
    assert error.category == "unknown_key"
    assert cert_server.hits == 2  # the cached set was dropped and fetched again, once


def test_a_rotated_key_is_picked_up_without_waiting_for_the_cache(
    verifier: TokenVerifier, signing_key: SigningKey, cert_server: CertServer
) -> None:
    verifier.verify(sign(signing_key, claims()))
    rotated = make_key("key-2")
    cert_server.keys[rotated.kid] = rotated.cert_pem
    assert verifier.verify(sign(rotated, claims())).uid == "uid-ann"


def test_unsigned_tokens_are_refused_outside_the_emulator(verifier: TokenVerifier) -> None:
    header = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    token = f"{header}.{b64(json.dumps(claims()).encode())}."
    assert rejected(verifier.verify, token).category == "signature"


def test_the_emulator_s_unsigned_tokens_still_have_their_claims_checked() -> None:
    emulator = TokenVerifier(PROJECT, certs_url="http://127.0.0.1:9/unused", allow_unsigned=True)
    header = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())

    def unsigned(**changes: Any) -> str:
        return f"{header}.{b64(json.dumps(claims(**changes)).encode())}."

    assert emulator.verify(unsigned()).uid == "uid-ann"
    assert rejected(emulator.verify, unsigned(aud="other")).category == "audience"
    assert rejected(emulator.verify, unsigned(iss="https://evil.test/x")).category == "issuer"
    past = int(time.time()) - 7200
    assert rejected(emulator.verify, unsigned(exp=past, iat=past)).category == "expired"
    assert rejected(emulator.verify, unsigned(sub="")).category == "claims"


def test_auth_time_in_the_future_and_missing_subject_are_rejected(
    verifier: TokenVerifier, signing_key: SigningKey
) -> None:
    later = int(time.time()) + 3600
    assert rejected(verifier.verify, sign(signing_key, claims(auth_time=later))).category == (
        "not_yet_valid"
    )
    assert rejected(verifier.verify, sign(signing_key, claims(auth_time=None))).category == "claims"
    assert rejected(verifier.verify, sign(signing_key, claims(sub=""))).category == "claims"


def test_garbage_is_malformed(verifier: TokenVerifier) -> None:
    for token in ("", "abc", "a.b.c", "a.b"):
        assert rejected(verifier.verify, token).category == "malformed"


def test_unreachable_certificates_are_a_network_problem(
    signing_key: SigningKey, cert_server: CertServer
) -> None:
    cert_server.status = 503
    verifier = TokenVerifier(PROJECT, certs_url=cert_server.url, timeout=5)
    error = rejected(verifier.verify, sign(signing_key, claims()))
    assert error.category == "certificates"
    assert error.unreachable
