"""HTTPS that trusts what this computer trusts: the OS certificate store, not a bundled list.

Why: a company that inspects HTTPS re-signs every site with its own root CA and installs that CA in
its computers' trust stores. ``requests`` verifies with certifi's copy of Mozilla's list instead,
so behind such a proxy sign-in failed ("the network looks down"). Every HTTPS client in Caliber —
the Firebase REST calls, Google's token certificates, the AI assistant — gets its context here.

What "the OS trust store" is, per platform (:func:`os_trust_context`):

* Windows, macOS: ``truststore.SSLContext``. The chain is checked by CryptoAPI / Security.framework,
  so roots that IT pushes by policy count, as they do for the browser.
* Linux and other Unix: a stdlib context with OpenSSL's default verify paths — the distribution's
  CA bundle, or ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` (OpenSSL's documented override) — loaded once
  per context. That is exactly what truststore does there, except that truststore reloads the
  paths before every handshake, which OpenSSL < 3.4 accumulates into a growing list of lookups
  (sethmlarson/truststore#212); httpcore2's default context sidesteps truststore on Linux too.

Targeted, not global: :func:`os_trust_session` mounts the context on one ``requests`` session's
``https://`` adapter, and the assistant hands it to its own HTTP client. ``truststore.
inject_into_ssl()`` would instead replace ``ssl.SSLContext`` for every library in the process
(and patch requests' and urllib3's internals to reach them), which cannot be undone per call and
changes code Caliber does not own.

With ``requests``, ``verify=True`` (the default) means this context and nothing else: the adapter
stops requests from also loading certifi's bundle into it (urllib3 adds ``ca_certs`` to a given
``ssl_context``, and on Windows/macOS truststore would then trust certifi's roots as well, even
ones IT removed). An explicit bundle — ``verify="ca.pem"`` or ``REQUESTS_CA_BUNDLE`` /
``CURL_CA_BUNDLE`` — keeps its documented requests meaning: that bundle alone.
"""

from __future__ import annotations

import os
import platform
import re
import ssl
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import requests
from requests.adapters import HTTPAdapter

if TYPE_CHECKING:
    from requests.adapters import _HostParams, _PoolKwargs

#: Where Linux distributions keep the CA bundle when OpenSSL's compiled-in paths are empty (the
#: list truststore and httpcore2 fall back to): a Python built elsewhere still finds the system's.
LINUX_BUNDLES = (
    "/etc/ssl/cert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/pki/tls/cert.pem",
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/ssl/ca-bundle.pem",
)
_HASHED_NAME = re.compile(r"[0-9a-fA-F]{8}\.\d")

TRUST_HINT = (
    "If your company inspects HTTPS traffic, ask IT to install its root certificate in the "
    "system's certificate store."
)
#: OpenSSL's verify codes for a certificate outside its dates: usually this computer's clock.
_OUT_OF_DATE = {9, 10}  # X509_V_ERR_CERT_NOT_YET_VALID, X509_V_ERR_CERT_HAS_EXPIRED


def os_trust_context() -> ssl.SSLContext:
    """A client context (TLS 1.2+, hostname checked) that verifies with the OS trust store.

    Built per call, so ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` are read when a client is made.
    """
    if platform.system() in ("Windows", "Darwin"):
        import truststore  # its CryptoAPI / Security.framework binding loads only where used

        return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    paths = ssl.get_default_verify_paths()  # resolves SSL_CERT_FILE / SSL_CERT_DIR
    if paths.cafile or (paths.capath and _holds_certificates(paths.capath)):
        context.set_default_verify_paths()
    else:
        bundle = next((path for path in LINUX_BUNDLES if os.path.isfile(path)), None)
        if bundle is not None:
            context.load_verify_locations(cafile=bundle)
    return context


def _holds_certificates(folder: str) -> bool:
    """An OpenSSL hashed directory (``5ad8a5d6.0``…), not an empty or unrelated folder."""
    try:
        return any(_HASHED_NAME.fullmatch(name) for name in os.listdir(folder))
    except OSError:
        return False


class OSTrustAdapter(HTTPAdapter):
    """requests' adapter with :func:`os_trust_context` for ``verify=True`` HTTPS requests.

    requests' documented extension point: the context goes into the urllib3 pool key
    (``build_connection_pool_key_attributes``), which reaches direct connections and tunnels
    through an ``HTTPS_PROXY`` alike; ``cert_verify`` then leaves ``ca_certs`` empty so urllib3
    does not load certifi's bundle into that context on every connection.
    """

    def __init__(self, context: ssl.SSLContext | None = None, **kwargs: Any) -> None:
        self.context = context if context is not None else os_trust_context()
        super().__init__(**kwargs)

    def build_connection_pool_key_attributes(
        self,
        request: requests.PreparedRequest,
        verify: bool | str,
        cert: str | tuple[str, str] | None = None,
    ) -> tuple[_HostParams, _PoolKwargs]:
        host, pool = super().build_connection_pool_key_attributes(request, verify, cert)
        if verify is True and host["scheme"] == "https":
            pool["ssl_context"] = self.context
        return host, pool

    def cert_verify(self, conn: Any, url: str, verify: bool | str, cert: Any) -> None:
        # (types-requests leaves cert_verify untyped)
        if verify is not True or not url.lower().startswith("https"):
            super().cert_verify(conn, url, verify, cert)  # type: ignore[no-untyped-call]
            return
        super().cert_verify(conn, url, False, cert)  # type: ignore[no-untyped-call]  # client cert
        conn.cert_reqs = "CERT_REQUIRED"  # urllib3 sets it on the context: verification stays on


def os_trust_session() -> requests.Session:
    """A ``requests.Session`` verifying HTTPS with the OS trust store (plain HTTP unchanged)."""
    session = requests.Session()
    session.mount("https://", OSTrustAdapter())
    return session


@dataclass(frozen=True)
class TLSFailure:
    """A refused TLS handshake in words: ``message`` and ``hint`` for the user, ``detail`` (the
    verifier's own words, no URL) for the log."""

    message: str
    hint: str
    detail: str


def tls_failure(exc: BaseException, host: str) -> TLSFailure | None:
    """What went wrong when ``exc`` (from requests, urllib3, httpx, the openai SDK) is a failed
    TLS handshake with ``host``; None when it is some other failure (refused, timed out…)."""
    found = _ssl_error_in(exc)
    if found is None:
        return None
    detail = str(getattr(found, "verify_message", "") or found)[:200]
    if isinstance(found, ssl.SSLCertVerificationError):
        if getattr(found, "verify_code", None) in _OUT_OF_DATE:
            return TLSFailure(
                f"Caliber could not verify the identity of {host} (its certificate is not valid "
                "at this computer's date and time).",
                "Check this computer's date, time and time zone.",
                detail,
            )
        return TLSFailure(
            f"Caliber could not verify the identity of {host} (its certificate is not trusted "
            "by this computer).",
            TRUST_HINT,
            detail,
        )
    return TLSFailure(
        f"Caliber could not open a secure (HTTPS) connection to {host}.",
        "A proxy or firewall may be interfering with HTTPS traffic; ask IT, or try another "
        "network.",
        detail,
    )


def _ssl_error_in(exc: BaseException) -> ssl.SSLError | None:
    """The ``ssl.SSLError`` behind ``exc``: each library wraps it its own way (``__cause__``,
    urllib3's ``MaxRetryError.reason``, an exception passed as an argument)."""
    pending: list[BaseException] = [exc]
    seen: set[int] = set()
    while pending and len(seen) < 32:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ssl.SSLError):
            return current
        linked = [current.__cause__, current.__context__, getattr(current, "reason", None)]
        linked += list(current.args)
        pending += [item for item in linked if isinstance(item, BaseException)]
    return None
