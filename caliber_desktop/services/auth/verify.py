"""Verify Firebase ID tokens before trusting who they name.

Which library and why: **google-auth** (``google.oauth2.id_token.verify_token``), not
firebase-admin. firebase-admin's ``auth.verify_id_token`` wants an initialised app and, to check
revocation, a service account — and an analyst's Caliber must never ship or require one (only an
administrator's ``caliber admin`` uses one: :mod:`.admin`; revocation reaches analysts through the
refresh, :mod:`.service`). google-auth checks the
RS256 signature against Google's published x509 certificates, ``exp``/``iat`` and ``aud`` with no
credentials at all; this module adds the Firebase-specific rules on top (``iss`` is
``https://securetoken.google.com/<project>``, ``sub`` non-empty, ``auth_time`` not in the future)
and caches the certificates for as long as Google's ``Cache-Control`` allows, so a refresh every
hour does not download them every hour. The certificate URL is configurable so tests serve their
own keys; the download verifies HTTPS with the OS trust store (:mod:`.tls`).

The Firebase Auth Emulator issues unsigned tokens (``alg: none``). They are accepted only when the
verifier was built for the emulator, and even then ``aud``, ``iss``, ``exp``, ``iat``,
``auth_time`` and ``sub`` are checked.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

import requests
from google.auth import exceptions as google_exceptions
from google.auth import transport
from google.auth.transport.requests import Request as RequestsRequest
from google.oauth2 import id_token as google_id_token

from caliber_desktop.errors import AuthError
from caliber_desktop.models.base import utcnow as utc_now  # one clock for the app
from caliber_desktop.services.tls import TLSFailure, os_trust_session, tls_failure

#: Google's x509 certificates for Firebase ID tokens (key id → PEM certificate).
GOOGLE_CERTS_URL = (
    "https://www.googleapis.com/robot/v1/metadata/x509/securetoken@system.gserviceaccount.com"
)
ISSUER_PREFIX = "https://securetoken.google.com/"
#: The values of the ``role`` custom claim (set by ``caliber admin users role``).
ROLES = ("analyst", "admin")
#: Tolerated difference between this computer's clock and Google's, in seconds. Desktop clocks
#: drift; a minute keeps a freshly issued token from being "used too early".
CLOCK_SKEW_S = 60
#: Certificates are re-fetched at least this often even if Cache-Control says longer.
MAX_CERT_AGE_S = 6 * 3600

Category = Literal[
    "expired",
    "not_yet_valid",
    "audience",
    "issuer",
    "signature",
    "unknown_key",
    "claims",
    "malformed",
    "certificates",
]

_MESSAGES: dict[str, str] = {
    "expired": "The sign-in token has expired.",
    "not_yet_valid": "The sign-in token is not valid yet; check this computer's date and time.",
    "audience": "The sign-in token was issued for another Firebase project.",
    "issuer": "The sign-in token was not issued by Firebase for this project.",
    "signature": "The sign-in token's signature is not valid.",
    "unknown_key": "The sign-in token was signed with a key Google does not publish.",
    "claims": "The sign-in token is missing required information.",
    "malformed": "The sign-in token is malformed.",
    "certificates": "Google's sign-in certificates could not be downloaded.",
}


class TokenError(AuthError):
    """An ID token that must not be trusted. ``category`` says which check failed.

    ``tls``: the certificates could not be downloaded because HTTPS to Google was refused (reason
    ``tls``, with the message saying whose certificate was not trusted).
    """

    def __init__(
        self, category: Category, detail: str = "", *, tls: TLSFailure | None = None
    ) -> None:
        self.category: Category = category
        self.detail = detail  # google-auth's wording, for the log; never contains the token
        if tls is not None:
            super().__init__(tls.message, reason="tls", hint=tls.hint)
            return
        hint = (
            "Check the network connection and try again."
            if category == "certificates"
            else "Sign in again; if this keeps happening, check the Firebase settings."
        )
        reason = "network" if category == "certificates" else "invalid_token"
        super().__init__(_MESSAGES[category], reason=reason, hint=hint)


@dataclass(frozen=True)
class Claims:
    """The verified facts an ID token states about its user."""

    uid: str
    email: str
    name: str
    auth_time: datetime
    issued_at: datetime
    expires_at: datetime
    #: The ``role`` custom claim an administrator set (``caliber admin users role``): "admin" or
    #: "analyst"; an account nobody gave a role is an analyst.
    role: str = "analyst"


class _CachedCertsRequest(transport.Request):
    """A google-auth transport that remembers GET responses for their ``Cache-Control`` max-age.

    google-auth fetches the certificates on every ``verify_token`` call; Google publishes them with
    a max-age of hours, so this keeps sign-in and hourly refresh from re-downloading them.
    """

    def __init__(self, session: requests.Session, timeout: float, clock: Callable[[], float]):
        self._inner = RequestsRequest(session)
        self._timeout = timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, transport.Response]] = {}

    def forget(self) -> None:
        with self._lock:
            self._cache.clear()

    def __call__(
        self,
        url: str,
        method: str = "GET",
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> transport.Response:
        if method != "GET":
            sent: transport.Response = self._inner(
                url, method, body, headers, timeout or self._timeout, **kwargs
            )
            return sent
        with self._lock:
            hit = self._cache.get(url)
            if hit is not None and hit[0] > self._clock():
                return hit[1]
        response: transport.Response = self._inner(
            url, method, body, headers, timeout or self._timeout, **kwargs
        )
        if response.status == 200:
            max_age = _max_age(response.headers.get("Cache-Control", ""))
            if max_age > 0:
                with self._lock:
                    self._cache[url] = (self._clock() + min(max_age, MAX_CERT_AGE_S), response)
        return response


def _max_age(cache_control: str) -> int:
    found = re.search(r"max-age=(\d+)", cache_control)
    return int(found.group(1)) if found else 0


def _b64_json(segment: str) -> dict[str, Any]:
    raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    value = json.loads(raw)
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


def unverified_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and payload of a JWT without checking anything (to pick the verification path)."""
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenError("malformed", "a JWT has three dot-separated parts")
    try:
        return _b64_json(parts[0]), _b64_json(parts[1])
    except (ValueError, UnicodeDecodeError) as exc:
        raise TokenError("malformed", type(exc).__name__) from None


def _categorise(exc: Exception) -> Category:
    """Map google-auth's error wording onto a category (pinned version; tests cover each)."""
    text = str(exc)
    if isinstance(exc, google_exceptions.TransportError | requests.RequestException):
        return "certificates"
    for needle, category in (
        ("Token expired", "expired"),
        ("used too early", "not_yet_valid"),
        ("wrong audience", "audience"),
        ("Certificate for key id", "unknown_key"),
        ("Could not verify token signature", "signature"),
        ("Unsupported signature algorithm", "signature"),
        ("does not contain required claim", "claims"),
    ):
        if needle in text:
            return category  # type: ignore[return-value]
    return "malformed"


class TokenVerifier:
    """Checks a Firebase ID token for one project and returns its :class:`Claims`."""

    def __init__(
        self,
        project_id: str,
        *,
        certs_url: str = GOOGLE_CERTS_URL,
        allow_unsigned: bool = False,
        session: requests.Session | None = None,
        timeout: float = 10.0,
        clock: Callable[[], datetime] = utc_now,
        clock_skew_s: int = CLOCK_SKEW_S,
    ) -> None:
        if not project_id:
            raise ValueError("a Firebase project id is needed to verify its tokens")
        self.project_id = project_id
        self.issuer = ISSUER_PREFIX + project_id
        self.certs_url = certs_url
        #: Only for the Firebase Auth Emulator, whose tokens carry ``alg: none``.
        self.allow_unsigned = allow_unsigned
        self._clock = clock
        self._skew = clock_skew_s
        self._request = _CachedCertsRequest(
            session or os_trust_session(), timeout, clock=time.monotonic
        )

    def verify(self, token: str) -> Claims:
        header, _ = unverified_parts(token)
        if header.get("alg") == "none":
            if not self.allow_unsigned:
                raise TokenError("signature", "unsigned token outside the emulator")
            _, payload = unverified_parts(token)
            self._check_times(payload)
        else:
            payload = self._verify_signed(token)
        return self._check_claims(payload)

    def _verify_signed(self, token: str) -> dict[str, Any]:
        """google-auth checks signature, ``exp``, ``iat`` and ``aud``; a rotated key refetches."""
        for attempt in (1, 2):
            try:
                payload = google_id_token.verify_token(
                    token,
                    self._request,
                    audience=self.project_id,
                    certs_url=self.certs_url,
                    clock_skew_in_seconds=self._skew,
                )
                return dict(payload)
            except (google_exceptions.GoogleAuthError, ValueError, requests.RequestException) as e:
                category = _categorise(e)
                if category == "unknown_key" and attempt == 1:
                    self._request.forget()  # Google rotated its keys since the cached copy
                    continue
                refused = tls_failure(e, urlsplit(self.certs_url).hostname or self.certs_url)
                if category == "certificates" and refused is not None:
                    raise TokenError(category, refused.detail, tls=refused) from None
                raise TokenError(category, str(e)[:200]) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _check_times(self, payload: Mapping[str, Any]) -> None:
        now = self._clock().timestamp()
        exp, iat = payload.get("exp"), payload.get("iat")
        if not isinstance(exp, int | float) or not isinstance(iat, int | float):
            raise TokenError("claims", "exp and iat are required")
        if exp + self._skew < now:
            raise TokenError("expired")
        if iat - self._skew > now:
            raise TokenError("not_yet_valid")

    def _check_claims(self, payload: Mapping[str, Any]) -> Claims:
        if payload.get("aud") != self.project_id:
            raise TokenError("audience")
        if payload.get("iss") != self.issuer:
            raise TokenError("issuer")
        sub = payload.get("sub")
        if not isinstance(sub, str) or not sub or len(sub) > 128:
            raise TokenError("claims", "sub must be a non-empty string of at most 128 characters")
        auth_time = payload.get("auth_time")
        if not isinstance(auth_time, int | float):
            raise TokenError("claims", "auth_time is required")
        if auth_time - self._skew > self._clock().timestamp():
            raise TokenError("not_yet_valid", "auth_time is in the future")
        return Claims(
            uid=sub,
            email=str(payload.get("email") or ""),
            name=str(payload.get("name") or ""),
            auth_time=_utc(auth_time),
            issued_at=_utc(payload["iat"]),
            expires_at=_utc(payload["exp"]),
            role=role_of(payload),
        )


def role_of(payload: Mapping[str, Any]) -> str:
    """The ``role`` custom claim, "analyst" when absent or not one Caliber knows."""
    role = payload.get("role")
    return role if role in ROLES else "analyst"


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
