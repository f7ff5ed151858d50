"""Where sign-in goes: settings, overridden by the environment; the emulator switch."""

from __future__ import annotations

import ssl
from typing import Any

import pytest
import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError
from urllib3.exceptions import SSLError as Urllib3SSLError

from caliber_desktop.config import AuthSettings, Settings
from caliber_desktop.errors import AuthError
from caliber_desktop.services.auth.api import AuthConfig, FirebaseAuthApi, _error_for


def settings(**auth: object) -> Settings:
    return Settings(auth=AuthSettings.model_validate(auth))


def test_nothing_configured_means_the_local_profile() -> None:
    config = AuthConfig.from_settings(Settings(), environ={})
    assert not config.configured
    assert config.mode.startswith("local profile")
    assert config.offline_grace_days == 7


def test_settings_configure_a_firebase_project() -> None:
    config = AuthConfig.from_settings(
        settings(api_key="AIza-key", project_id="caliber-prod", offline_grace_days=3), environ={}
    )
    assert config.configured
    assert config.mode == "Firebase project caliber-prod"
    assert config.identity_url == "https://identitytoolkit.googleapis.com/v1"
    assert config.token_url == "https://securetoken.googleapis.com/v1/token"
    assert config.offline_grace_days == 3


def test_the_environment_overrides_the_settings() -> None:
    env = {"CALIBER_FIREBASE_API_KEY": "env-key", "CALIBER_FIREBASE_PROJECT_ID": "env-project"}
    config = AuthConfig.from_settings(settings(api_key="k", project_id="p"), environ=env)
    assert (config.api_key, config.project_id) == ("env-key", "env-project")


def test_the_emulator_host_switches_to_the_emulator_without_a_key() -> None:
    env = {"FIREBASE_AUTH_EMULATOR_HOST": "http://127.0.0.1:9099/"}
    config = AuthConfig.from_settings(settings(project_id="demo-caliber"), environ=env)
    assert config.configured
    assert config.emulator_host == "127.0.0.1:9099"
    assert config.identity_url == "http://127.0.0.1:9099/identitytoolkit.googleapis.com/v1"
    assert config.token_url == "http://127.0.0.1:9099/securetoken.googleapis.com/v1/token"
    assert "Emulator at 127.0.0.1:9099" in config.mode
    assert not AuthConfig.from_settings(Settings(), environ=env).configured  # needs a project


def firebase_error(message: str, status: int = 400) -> AuthError:
    return _error_for(status, {"error": {"code": status, "message": message}})


def test_firebase_error_codes_become_actionable_reasons() -> None:
    cases = {
        "INVALID_PASSWORD": "wrong_password",
        "INVALID_LOGIN_CREDENTIALS": "wrong_password",
        "EMAIL_NOT_FOUND": "unknown_email",
        "EMAIL_EXISTS": "email_exists",
        "WEAK_PASSWORD : Password should be at least 6 characters": "weak_password",
        "TOO_MANY_ATTEMPTS_TRY_LATER : Access to this account has been temporarily disabled": (
            "too_many_attempts"
        ),
        "TOKEN_EXPIRED": "session_revoked",  # what Firebase says for revoked refresh tokens
        "USER_DISABLED": "user_disabled",
        "USER_NOT_FOUND": "user_removed",
        "INVALID_REFRESH_TOKEN": "session_expired",
        "API key not valid. Please pass a valid API key.": "bad_config",
        "SOMETHING_NEW": "refused",
    }
    for message, reason in cases.items():
        assert firebase_error(message).reason == reason, message
    assert firebase_error("BACKEND_ERROR", 503).unreachable
    assert _error_for(502, None).reason == "server"


def failing_sign_in(monkeypatch: pytest.MonkeyPatch, reason: Exception) -> AuthError:
    """sign_in when requests raises what it raises for ``reason`` (urllib3's MaxRetryError)."""
    api = FirebaseAuthApi(AuthConfig(api_key="k", project_id="p"))
    wrapped = MaxRetryError(None, "/v1/accounts:signInWithPassword?key=k", reason)  # type: ignore[arg-type]
    kind = requests.exceptions.SSLError if isinstance(reason, Urllib3SSLError) else None
    error = (kind or requests.exceptions.ConnectionError)(wrapped)

    def post(*_args: Any, **_kwargs: Any) -> requests.Response:
        raise error

    monkeypatch.setattr(api._http, "post", post)
    try:
        with pytest.raises(AuthError) as caught:
            api.sign_in("ann@example.com", "secret-password")
    finally:
        api.close()
    assert "secret-password" not in str(caught.value)
    return caught.value


def test_a_certificate_this_computer_does_not_trust_is_not_called_network_down(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    refused = ssl.SSLCertVerificationError(1, "certificate verify failed")
    refused.verify_code, refused.verify_message = 20, "unable to get local issuer certificate"
    error = failing_sign_in(monkeypatch, Urllib3SSLError(refused))
    assert error.reason == "tls"
    assert str(error) == (
        "Caliber could not verify the identity of identitytoolkit.googleapis.com (its certificate "
        "is not trusted by this computer). If your company inspects HTTPS traffic, ask IT to "
        "install its root certificate in the system's certificate store."
    )
    assert error.unreachable  # the offline grace still applies, as when the network is down


def test_no_connection_is_still_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    error = failing_sign_in(monkeypatch, NewConnectionError(None, "refused"))  # type: ignore[arg-type]
    assert error.reason == "network"
    assert str(error).startswith("Cannot reach Firebase sign-in: the network looks down.")
