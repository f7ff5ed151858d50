"""A corporate TLS-inspecting proxy on loopback, for tests (no network).

Companies that inspect HTTPS run a proxy that accepts ``CONNECT host:443``, terminates TLS itself
with a certificate for ``host`` signed by the company's own root CA — which IT installs in every
computer's trust store — reads the request and forwards it. A client that trusts only a bundled
list of CAs (certifi) rejects that certificate; a client that uses the OS trust store accepts it.

This module builds that situation on 127.0.0.1:

``make_pki(folder)``
    A root CA ("Example Corp TLS Inspection CA") and a leaf certificate for every host Caliber
    talks to (:data:`LEAF_HOSTS`, plus ``127.0.0.1``), written as PEM files.
``InspectingProxy(pki, openai=server)``
    An HTTP proxy that answers ``CONNECT`` with ``200 Connection established``, terminates TLS
    with the leaf certificate (as an inspecting proxy does) and serves the request itself instead
    of forwarding it: Firebase ``accounts:signInWithPassword`` and ``securetoken`` ``/v1/token``
    answers, Google's token-signing certificates (``proxy.google_certs``), and ``api.openai.com``
    through the request handler of :class:`support.openai_server.OpenAIServer` (chat completions
    plain and streamed, scripted and recorded there). Point clients at it with
    ``HTTPS_PROXY=proxy.url``.
``bundle_with(ca_pem, out)``
    The system's CA bundle plus the test CA in one file: what ``SSL_CERT_FILE`` names to "install"
    the CA for one test where the OS trust store is OpenSSL's (Linux).

Every ``CONNECT`` is recorded in ``proxy.tunnels`` (target, whether the client accepted the
proxy's certificate, the handshake error otherwise), every request served for a Google host in
``proxy.requests``. ``proxy.close()`` stops the proxy and cuts open tunnels.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import socket
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from support.openai_server import OpenAIServer

IDENTITY_HOST = "identitytoolkit.googleapis.com"
TOKEN_HOST = "securetoken.googleapis.com"
CERTS_HOST = "www.googleapis.com"
OPENAI_HOST = "api.openai.com"
#: The names the leaf certificate is valid for (it also carries the IP address 127.0.0.1).
LEAF_HOSTS = (IDENTITY_HOST, TOKEN_HOST, CERTS_HOST, OPENAI_HOST, "localhost")
CA_NAME = "Example Corp TLS Inspection CA"

#: What the fake Firebase answers to a password sign-in (``email`` is the one asked for).
SIGN_IN_ANSWER: dict[str, Any] = {
    "kind": "identitytoolkit#VerifyPasswordResponse",
    "localId": "uid-through-proxy",
    "displayName": "Ann Analyst",
    "idToken": "id-token-from-the-proxy",
    "registered": True,
    "refreshToken": "refresh-token-from-the-proxy",
    "expiresIn": "3600",
}
TOKEN_ANSWER: dict[str, Any] = {
    "id_token": "id-token-from-the-proxy",
    "refresh_token": "refresh-token-from-the-proxy",
    "expires_in": "3600",
    "token_type": "Bearer",
    "user_id": "uid-through-proxy",
}

# ----------------------------------------------------------------------------- certificates


@dataclass(frozen=True)
class InspectionPKI:
    """PEM files: the company's root CA, and the leaf the proxy shows (its key beside it)."""

    ca_pem: Path
    cert_pem: Path
    key_pem: Path


def make_pki(folder: Path) -> InspectionPKI:
    """A root CA and a leaf signed by it for :data:`LEAF_HOSTS` and 127.0.0.1 (EC P-256: fast).

    Both carry the extensions strict verifiers want (key usages, key identifiers), so OpenSSL's
    ``VERIFY_X509_STRICT`` and the OS verifiers accept them once the CA is trusted.
    """
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example Corp"),
            x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME),
        ]
    )
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.DNSName(host) for host in LEAF_HOSTS]
    names.append(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, IDENTITY_HOST)]))
        .issuer_name(ca_name)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pki = InspectionPKI(folder / "ca.pem", folder / "leaf.pem", folder / "leaf-key.pem")
    pki.ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    pki.cert_pem.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    pki.key_pem.write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return pki


#: Where Linux distributions keep the system bundle when OpenSSL's compiled-in file is missing
#: (the same list truststore and httpcore2 fall back to).
SYSTEM_BUNDLES = (
    "/etc/ssl/cert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/pki/tls/cert.pem",
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/ssl/ca-bundle.pem",
)


def system_bundle() -> Path | None:
    """The OS's CA bundle as OpenSSL finds it without ``SSL_CERT_FILE`` (None if there is none)."""
    compiled_in = ssl.get_default_verify_paths().openssl_cafile
    for candidate in (compiled_in, *SYSTEM_BUNDLES):
        if candidate and os.path.isfile(candidate):
            return Path(candidate)
    return None


def bundle_with(ca_pem: Path, out: Path) -> Path:
    """``out`` = the system bundle + ``ca_pem``: the trust store with the company CA installed."""
    system = system_bundle()
    found = system.read_bytes().rstrip(b"\n") + b"\n" if system else b""  # comments may be UTF-8
    out.write_bytes(found + ca_pem.read_bytes())
    return out


# ----------------------------------------------------------------------------- the proxy


@dataclass
class Tunnel:
    """One ``CONNECT``: where to, and how the TLS handshake with the proxy's certificate went."""

    target: str
    handshake: bool = False
    error: str = ""

    @property
    def host(self) -> str:
        return self.target.rpartition(":")[0]


@dataclass(frozen=True)
class SeenRequest:
    host: str
    method: str
    path: str
    body: Mapping[str, Any] = field(default_factory=dict)


class InspectingProxy:
    """The proxy; see the module docstring. A context manager; ``close()`` stops it."""

    def __init__(self, pki: InspectionPKI, *, openai: OpenAIServer | None = None) -> None:
        self.pki = pki
        self.openai = openai
        self.tunnels: list[Tunnel] = []
        self.requests: list[SeenRequest] = []
        #: What ``www.googleapis.com`` serves as Google's token certificates (key id → PEM).
        self.google_certs: dict[str, str] = {}
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._tls.load_cert_chain(pki.cert_pem, pki.key_pem)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _connect_handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="tls-inspecting-proxy",
            daemon=True,
        )
        self._thread.start()

    @property
    def url(self) -> str:
        """What ``HTTPS_PROXY`` names."""
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def tunnels_to(self, host: str) -> list[Tunnel]:
        with self._lock:
            return [t for t in self.tunnels if t.host == host]

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        with self._lock:
            still_open = list(self._open)
        for sock in still_open:  # wake handlers waiting for a keep-alive request
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=5)

    def __enter__(self) -> InspectingProxy:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ internals
    def _tunnel(self, target: str) -> Tunnel:
        tunnel = Tunnel(target)
        with self._lock:
            self.tunnels.append(tunnel)
        return tunnel

    def _seen(self, request: SeenRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _serve(self, tunnel: Tunnel, raw: socket.socket, client: Any, server: Any) -> None:
        """Terminate TLS on the tunnel with the leaf certificate, then answer what comes in."""
        try:
            tls = self._tls.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError) as exc:  # the client refused the certificate
            tunnel.error = f"{type(exc).__name__}: {exc}"
            return
        tunnel.handshake = True
        tls.settimeout(10)
        with self._lock:
            self._open.add(tls)
        try:
            handler: type[BaseHTTPRequestHandler]
            if tunnel.host == OPENAI_HOST and self.openai is not None:
                handler = self.openai.handler
            else:
                handler = _google_handler_for(self, tunnel.host)
            handler(tls, client, server)
        except OSError:
            pass  # the client went away mid-request
        finally:
            with self._lock:
                self._open.discard(tls)
            tls.close()


def _connect_handler_for(proxy: InspectingProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(_ConnectHandler):
        owner = proxy

    return Handler


class _ConnectHandler(BaseHTTPRequestHandler):
    """The proxy's own port: ``CONNECT host:port`` only, as HTTPS through a proxy uses."""

    owner: InspectingProxy
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read ``proxy.tunnels``."""

    def do_CONNECT(self) -> None:
        tunnel = self.owner._tunnel(self.path)
        self.send_response(200, "Connection established")
        self.end_headers()
        self.close_connection = True  # the socket now belongs to the tunnel
        self.owner._serve(tunnel, self.connection, self.client_address, self.server)

    def do_GET(self) -> None:
        self.send_error(405, "This test proxy only tunnels HTTPS (CONNECT)")

    def do_POST(self) -> None:
        self.do_GET()


def _google_handler_for(proxy: InspectingProxy, host: str) -> type[BaseHTTPRequestHandler]:
    class Handler(_GoogleHandler):
        owner = proxy
        target_host = host

    return Handler


class _GoogleHandler(BaseHTTPRequestHandler):
    """Google's side of the tunnel: Firebase Auth REST and the token certificates."""

    owner: InspectingProxy
    target_host: str
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read ``proxy.requests``."""

    def do_GET(self) -> None:
        self.owner._seen(SeenRequest(self.target_host, "GET", self.path))
        path = urlsplit(self.path).path
        if self.target_host == CERTS_HOST and path.startswith("/robot/v1/metadata/x509/"):
            self._json(200, self.owner.google_certs, {"Cache-Control": "public, max-age=3600"})
        else:
            self._json(404, {"error": {"code": 404, "message": "NOT_FOUND"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        body: dict[str, Any] = {}
        if "json" in self.headers.get("content-type", ""):
            body = json.loads(raw or b"{}")
        self.owner._seen(SeenRequest(self.target_host, "POST", self.path, body))
        path = urlsplit(self.path).path
        if self.target_host == IDENTITY_HOST and path.endswith("/accounts:signInWithPassword"):
            self._json(200, {**SIGN_IN_ANSWER, "email": body.get("email", "")})
        elif self.target_host == TOKEN_HOST and path == "/v1/token":
            self._json(200, TOKEN_ANSWER)
        else:
            self._json(400, {"error": {"code": 400, "message": "OPERATION_NOT_ALLOWED"}})

    def _json(self, code: int, payload: Any, headers: Mapping[str, str] | None = None) -> None:
        data = json.dumps(payload).encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()
