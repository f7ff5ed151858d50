"""Sign-in and the assistant behind a corporate TLS-inspecting proxy (emulated on loopback).

The proxy (``tests/support/tls_proxy.py``) answers ``CONNECT host:443`` and shows its own
certificate for the host, signed by a company root CA, as inspecting proxies do. With that CA in
the OS trust store, Firebase sign-in, Google's token certificates and the OpenAI assistant work
through it; without it, the failure says the certificate is not trusted and names the host — not
"the network looks down".

"Installing the CA" here is OpenSSL's: on Linux the OS trust store is OpenSSL's default verify
paths, whose documented override is ``SSL_CERT_FILE``; the tests point it at the system bundle plus
the test CA (monkeypatched, restored after each test). What this does **not** cover: on Windows and
macOS truststore asks CryptoAPI / Security.framework, which do not read ``SSL_CERT_FILE`` and
cannot run here; installing a root there needs the user's consent (or admin rights). So the
positive tests run on Linux only; the negative control runs everywhere.
"""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.openai_server import OpenAIServer
from support.tls_proxy import (
    CERTS_HOST,
    IDENTITY_HOST,
    OPENAI_HOST,
    TOKEN_HOST,
    InspectingProxy,
    InspectionPKI,
    bundle_with,
    make_pki,
)

from caliber_desktop.config import AISettings
from caliber_desktop.errors import AIError, AuthError
from caliber_desktop.services.ai.client import BASE_URL_ENV, ChatClient
from caliber_desktop.services.auth.api import AuthConfig, FirebaseAuthApi
from caliber_desktop.services.auth.verify import GOOGLE_CERTS_URL as CERTS_URL
from caliber_desktop.services.auth.verify import TokenError, TokenVerifier
from caliber_desktop.services.tls import os_trust_session

ASK = [{"role": "user", "content": "hello"}]
UNTRUSTED = "(its certificate is not trusted by this computer)"
ASK_IT = (
    "If your company inspects HTTPS traffic, ask IT to install its root certificate in the "
    "system's certificate store."
)
#: Everything in the environment that decides where HTTPS goes and what it trusts.
TLS_ENVIRONMENT = (
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "OPENAI_BASE_URL",
    BASE_URL_ENV,
)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> InspectionPKI:
    return make_pki(tmp_path_factory.mktemp("company-pki"))


@pytest.fixture
def proxy(
    pki: InspectionPKI, openai_server: OpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[InspectingProxy]:
    """The inspecting proxy as this computer's HTTPS proxy; no NO_PROXY, no CA bundle override."""
    for name in TLS_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    with InspectingProxy(pki, openai=openai_server) as running:
        monkeypatch.setenv("HTTPS_PROXY", running.url)
        yield running


@pytest.fixture
def company_ca_installed(
    pki: InspectionPKI, proxy: InspectingProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The company CA in OpenSSL's trust store for this test only (``SSL_CERT_FILE``).

    After ``proxy``, which clears the trust settings of the environment first.
    """
    if not sys.platform.startswith("linux"):
        pytest.skip("the OS trust store here is not OpenSSL's: SSL_CERT_FILE cannot install a CA")
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle_with(pki.ca_pem, tmp_path / "trust.pem")))


def firebase() -> FirebaseAuthApi:
    return FirebaseAuthApi(AuthConfig(api_key="k", project_id="p"), timeout=5)


def assistant(**overrides: object) -> ChatClient:
    settings = AISettings(max_retries=0, timeout_s=5.0).model_copy(update=overrides)
    return ChatClient(settings, "sk-test")


def unknown_key_token() -> str:
    """A well-formed RS256 token whose key id Google does not publish (no signing needed)."""

    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'kid': 'not-published'})}.{part({'aud': 'p'})}.c2ln"


# ----------------------------------------------------------------------------- CA installed


@pytest.mark.usefixtures("company_ca_installed")
def test_sign_in_and_refresh_go_through_the_inspecting_proxy(proxy: InspectingProxy) -> None:
    api = firebase()
    try:
        answer = api.sign_in("ann@example.com", "correct horse")
        refreshed = api.refresh("refresh-token-from-the-proxy")
    finally:
        api.close()
    assert answer["idToken"] == "id-token-from-the-proxy"
    assert answer["email"] == "ann@example.com"
    assert refreshed["user_id"] == "uid-through-proxy"
    # The proxy, not Google, answered: it saw the tunnels, the handshakes and the requests.
    assert [t.handshake for t in proxy.tunnels_to(IDENTITY_HOST)] == [True]
    assert [t.handshake for t in proxy.tunnels_to(TOKEN_HOST)] == [True]
    seen = [(r.host, r.method, r.path) for r in proxy.requests]
    assert seen == [
        (IDENTITY_HOST, "POST", "/v1/accounts:signInWithPassword?key=k"),
        (TOKEN_HOST, "POST", "/v1/token?key=k"),
    ]


@pytest.mark.usefixtures("company_ca_installed")
def test_google_certificates_are_fetched_through_the_inspecting_proxy(
    proxy: InspectingProxy,
) -> None:
    proxy.google_certs = {}  # Google "publishes" no key: verification fails after the download
    with pytest.raises(TokenError) as caught:
        TokenVerifier("p", timeout=5).verify(unknown_key_token())
    assert caught.value.category == "unknown_key"  # the download worked
    assert [r.host for r in proxy.requests] == [CERTS_HOST, CERTS_HOST]  # one refetch
    assert all(t.handshake for t in proxy.tunnels_to(CERTS_HOST))


@pytest.mark.usefixtures("company_ca_installed")
def test_the_assistant_goes_through_the_inspecting_proxy(
    proxy: InspectingProxy, openai_server: OpenAIServer
) -> None:
    openai_server.reply("Through the proxy.")
    openai_server.stream(["Streamed ", "through ", "it."])
    client = assistant()
    try:
        assert client.complete(ASK).text == "Through the proxy."
        seen: list[str] = []
        reply = client.stream(ASK, on_delta=seen.append)
    finally:
        client.close()
    assert seen == ["Streamed ", "through ", "it."]
    assert reply.text == "Streamed through it."
    assert not reply.stopped
    assert [r.stream for r in openai_server.chat_requests] == [False, True]
    assert openai_server.chat_requests[0].headers["authorization"] == "Bearer sk-test"
    tunnels = proxy.tunnels_to(OPENAI_HOST)
    assert tunnels
    assert all(t.handshake for t in tunnels)


@pytest.mark.usefixtures("company_ca_installed")
def test_requests_adds_nothing_to_the_os_trust_store(
    proxy: InspectingProxy, pki: InspectionPKI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the store reduced to the company CA, the session's context holds that CA alone after
    a request: requests did not load certifi's bundle into it (urllib3 would, per connection)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(pki.ca_pem))
    session = os_trust_session()
    try:
        assert session.get(CERTS_URL, timeout=5).status_code == 200
        context = session.get_adapter(CERTS_URL).context  # type: ignore[attr-defined]
    finally:
        session.close()
    assert context.cert_store_stats()["x509_ca"] == 1
    assert [t.handshake for t in proxy.tunnels_to(CERTS_HOST)] == [True]


def test_an_explicit_requests_ca_bundle_is_honoured(
    proxy: InspectingProxy, pki: InspectionPKI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """REQUESTS_CA_BUNDLE keeps its requests meaning (that bundle) on every platform: the
    documented way to trust a company CA for requests alone, without installing it."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(pki.ca_pem))
    api = firebase()
    try:
        assert api.sign_in("ann@example.com", "pw")["localId"] == "uid-through-proxy"
    finally:
        api.close()
    assert [t.handshake for t in proxy.tunnels_to(IDENTITY_HOST)] == [True]


# ----------------------------------------------------------------------------- CA not installed


def test_without_the_company_ca_sign_in_says_the_certificate_is_not_trusted(
    proxy: InspectingProxy,
) -> None:
    api = firebase()
    try:
        with pytest.raises(AuthError) as caught:
            api.sign_in("ann@example.com", "correct horse")
    finally:
        api.close()
    error = caught.value
    assert error.reason == "tls"
    assert str(error) == (
        f"Caliber could not verify the identity of {IDENTITY_HOST} {UNTRUSTED}. {ASK_IT}"
    )
    assert "network" not in str(error)
    assert "correct horse" not in str(error)
    # The client refused the proxy's certificate: nothing was sent inside the tunnel.
    assert [t.handshake for t in proxy.tunnels_to(IDENTITY_HOST)] == [False]
    assert proxy.requests == []


def test_without_the_company_ca_the_certificate_download_says_so(proxy: InspectingProxy) -> None:
    with pytest.raises(TokenError) as caught:
        TokenVerifier("p", timeout=5).verify(unknown_key_token())
    assert caught.value.reason == "tls"
    assert f"the identity of {CERTS_HOST} {UNTRUSTED}" in str(caught.value)
    assert proxy.requests == []


def test_without_the_company_ca_the_assistant_says_the_certificate_is_not_trusted(
    proxy: InspectingProxy, openai_server: OpenAIServer
) -> None:
    client = assistant()
    try:
        with pytest.raises(AIError) as caught:
            client.complete(ASK)
        with pytest.raises(AIError) as streamed:
            client.stream(ASK)
    finally:
        client.close()
    for error in (caught.value, streamed.value):
        assert error.reason == "tls"
        assert str(error) == (
            f"Caliber could not verify the identity of {OPENAI_HOST} {UNTRUSTED}. {ASK_IT}"
        )
    assert openai_server.requests == []
    assert not any(t.handshake for t in proxy.tunnels_to(OPENAI_HOST))
