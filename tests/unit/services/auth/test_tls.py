"""services/tls.py: which trust store a context uses, what requests may add to it, and how a
refused handshake is put into words. (The whole path through a TLS-inspecting proxy is in
test_tls_inspecting_proxy.py.)"""

from __future__ import annotations

import ssl
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
import truststore
from support.tls_proxy import make_pki
from urllib3.exceptions import MaxRetryError, NewConnectionError
from urllib3.exceptions import SSLError as Urllib3SSLError

from caliber_desktop.errors import AIError, AuthError
from caliber_desktop.services import tls
from caliber_desktop.services.tls import (
    TRUST_HINT,
    OSTrustAdapter,
    os_trust_context,
    os_trust_session,
    tls_failure,
)

linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the Linux trust store is OpenSSL's verify paths"
)


@pytest.fixture(scope="module")
def ca_pem(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_pki(tmp_path_factory.mktemp("pki")).ca_pem


def untrusted(code: int = 20) -> ssl.SSLCertVerificationError:
    error = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify")
    error.verify_code = code  # 20: X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY
    error.verify_message = "unable to get local issuer certificate"
    return error


# ----------------------------------------------------------------------------- the context


@pytest.mark.parametrize("system", ["Windows", "Darwin"])
def test_windows_and_macos_ask_the_os_through_truststore(
    system: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tls.platform, "system", lambda: system)
    context = os_trust_context()
    assert isinstance(context, truststore.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname


@linux_only
def test_linux_uses_openssl_s_verify_paths_and_their_override(
    ca_pem: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_pem))
    context = os_trust_context()
    assert not isinstance(context, truststore.SSLContext)  # loaded once, not per handshake
    assert (context.verify_mode, context.check_hostname) == (ssl.CERT_REQUIRED, True)
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2
    assert context.cert_store_stats()["x509_ca"] == 1  # exactly the file SSL_CERT_FILE names


@linux_only
def test_linux_falls_back_to_the_usual_bundles(
    ca_pem: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A Python built elsewhere may have compiled-in paths that do not exist on this machine."""
    nowhere = str(tmp_path / "nowhere")
    monkeypatch.setattr(
        tls.ssl,
        "get_default_verify_paths",
        lambda: SimpleNamespace(cafile=None, capath=None, openssl_cafile=nowhere),
    )
    monkeypatch.setattr(tls, "LINUX_BUNDLES", (nowhere, str(ca_pem)))
    assert os_trust_context().cert_store_stats()["x509_ca"] == 1


# ----------------------------------------------------------------------------- requests


def prepared(url: str) -> requests.PreparedRequest:
    return requests.Request("GET", url).prepare()


def test_verify_true_uses_the_os_context_and_no_bundle_on_top() -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    adapter = OSTrustAdapter(context)
    _, pool = adapter.build_connection_pool_key_attributes(prepared("https://example.com/"), True)
    assert pool["ssl_context"] is context
    assert "ca_certs" not in pool
    conn = SimpleNamespace(cert_reqs=None, ca_certs="x", ca_cert_dir="y", cert_file=None)
    adapter.cert_verify(conn, "https://example.com/", True, None)
    # requests would set certifi's bundle here, and urllib3 would load it into the context.
    assert (conn.cert_reqs, conn.ca_certs, conn.ca_cert_dir) == ("CERT_REQUIRED", None, None)


def test_an_explicit_bundle_keeps_its_requests_meaning(ca_pem: Path) -> None:
    """``verify=path`` (or REQUESTS_CA_BUNDLE): that bundle alone, as requests documents."""
    adapter = OSTrustAdapter(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT))
    _, pool = adapter.build_connection_pool_key_attributes(
        prepared("https://example.com/"), str(ca_pem)
    )
    assert "ssl_context" not in pool
    assert pool["ca_certs"] == str(ca_pem)
    conn = SimpleNamespace(cert_reqs=None, ca_certs=None, ca_cert_dir=None, cert_file=None)
    adapter.cert_verify(conn, "https://example.com/", str(ca_pem), None)
    assert (conn.cert_reqs, conn.ca_certs) == ("CERT_REQUIRED", str(ca_pem))


def test_plain_http_is_left_alone() -> None:
    session = os_trust_session()
    try:
        assert isinstance(session.get_adapter("https://example.com/"), OSTrustAdapter)
        assert not isinstance(session.get_adapter("http://127.0.0.1:9099/"), OSTrustAdapter)
    finally:
        session.close()


# ----------------------------------------------------------------------------- in words


def test_an_untrusted_certificate_names_the_host_and_what_to_ask_it() -> None:
    # requests → urllib3 MaxRetryError(reason=urllib3 SSLError(ssl error)), as urllib3 raises it
    wrapped = requests.exceptions.SSLError(
        MaxRetryError(None, "/v1/x?key=secret", Urllib3SSLError(untrusted()))  # type: ignore[arg-type]
    )
    failure = tls_failure(wrapped, "identitytoolkit.googleapis.com")
    assert failure is not None
    assert failure.message == (
        "Caliber could not verify the identity of identitytoolkit.googleapis.com (its "
        "certificate is not trusted by this computer)."
    )
    assert failure.hint == TRUST_HINT
    assert failure.detail == "unable to get local issuer certificate"
    assert "secret" not in failure.detail


def test_an_expired_certificate_points_to_the_clock() -> None:
    failure = tls_failure(untrusted(code=10), "api.openai.com")
    assert failure is not None
    assert "not valid at this computer's date and time" in failure.message
    assert failure.hint == "Check this computer's date, time and time zone."


def test_another_tls_error_is_a_secure_connection_failure() -> None:
    error = ConnectionError("wrapped")
    error.__cause__ = ssl.SSLError(1, "[SSL: UNSAFE_LEGACY_RENEGOTIATION_DISABLED]")
    failure = tls_failure(error, "api.openai.com")
    assert failure is not None
    assert (
        failure.message == "Caliber could not open a secure (HTTPS) connection to api.openai.com."
    )


def test_other_network_failures_are_not_tls() -> None:
    refused = MaxRetryError(None, "/", NewConnectionError(None, "refused"))  # type: ignore[arg-type]
    assert tls_failure(requests.exceptions.ConnectionError(refused), "h") is None
    assert tls_failure(TimeoutError("slow"), "h") is None


def test_a_refused_certificate_is_unreachable_for_the_offline_fallbacks() -> None:
    """Sign-in keeps its offline grace and insights their offline text, as when the network is
    down: no answer came from the server either way."""
    assert AuthError("x", reason="tls").unreachable
    assert AIError("x", reason="tls").unreachable
