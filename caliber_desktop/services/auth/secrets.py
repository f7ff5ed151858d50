"""Secrets (the Firebase refresh token, the OpenAI API key) kept only in the OS keyring.

Why a wrapper over ``keyring`` rather than calling it directly:

* ``keyring`` reports "no keyring" and "keyring locked" by raising from any call, and some
  backends (the null one) silently drop what they are given. The app must instead keep working
  for this run, keep the secret in memory, and tell the analyst why it will not be remembered
  (architecture rule 9). :class:`SecretStore` turns every one of those cases into
  ``available``/``problem`` and never lets a keyring traceback reach the caller.
* Backends that write secrets to a plain file (``keyrings.alt``) are refused: a secret on disk
  in clear is exactly what the keyring is meant to prevent.
* Values never reach logs, reprs or exception messages: a backend's error text is logged only
  after the value is scrubbed from it.

The store is thread-safe: sign-in and token refresh run on GUI workers. One lock serialises the
keyring calls too, because D-Bus connections of the Secret Service backend are not shared safely.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TypeVar

import keyring
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null
from keyring.errors import InitError, KeyringLocked, NoKeyringError, PasswordDeleteError

log = logging.getLogger(__name__)
_T = TypeVar("_T")

#: The uid whose refresh token is restored at start-up. Not a secret, but kept beside the secrets
#: so one lookup answers "who was signed in" without a settings file naming users.
LAST_USER = "last-user"
#: The analyst's own OpenAI API key (Settings → AI).
OPENAI_API_KEY = "openai-api-key"
#: What ``backend_name`` says when no backend works at all.
NO_BACKEND = "none"

#: Markers in a backend's module/class that mean "secrets in a plain file": refused.
PLAINTEXT_BACKENDS = ("keyrings.alt", "PlaintextKeyring")

#: Names an analyst recognises, by backend class; others use keyring's own display name.
_FRIENDLY_NAMES = {
    "keyring.backends.Windows.WinVaultKeyring": "Windows Credential Manager",
    "keyring.backends.macOS.Keyring": "macOS Keychain",
    "keyring.backends.kwallet.DBusKeyring": "KWallet",
}

_THIS_RUN = "sign-in and the OpenAI key last for this run only"
_NO_KEYRING = (
    f"No keyring service is running; {_THIS_RUN}. On Linux install and unlock a Secret Service "
    "keyring (GNOME Keyring or KWallet) in your desktop session, then restart Caliber."
)
_NULL_KEYRING = (
    f"The keyring is switched off (the null backend is selected by PYTHON_KEYRING_BACKEND or "
    f"keyringrc.cfg); {_THIS_RUN}. Remove that setting and restart Caliber."
)


def refresh_token_name(uid: str) -> str:
    """The keyring entry of one user's refresh token: one per uid, so switching user keeps both."""
    if not uid or not uid.strip():
        raise ValueError("a refresh token belongs to a user: the uid must not be empty")
    return f"refresh-token:{uid}"


def _class_path(backend: object) -> str:
    return f"{type(backend).__module__}.{type(backend).__qualname__}"


def _effective(backend: KeyringBackend) -> KeyringBackend | None:
    """The backend that actually stores a secret: a chainer writes to its first one."""
    if isinstance(backend, chainer.ChainerBackend):
        backends = list(backend.backends)
        return backends[0] if backends else None
    return backend


def _display_name(backend: KeyringBackend) -> str:
    path = _class_path(backend)
    if path in _FRIENDLY_NAMES:
        return _FRIENDLY_NAMES[path]
    try:
        return str(backend.name)
    except Exception:  # a third-party backend's classproperty may be odd; the class will do
        return type(backend).__name__


def _scrub(text: str, value: str | None) -> str:
    """``text`` without ``value`` in it (a backend's error message may echo what it was given)."""
    if value:
        text = text.replace(value, "***")
    return text[:300]


class SecretStore:
    """The OS keyring for Caliber's secrets, with an in-memory fallback for this run.

    ``set`` returns ``False`` when the value could not be stored in the OS keyring: it is then kept
    in memory until the app quits, and ``problem`` says why in words an analyst can act on. After
    a keyring error the store stays on memory for the rest of the run (no repeated unlock prompts
    or D-Bus time-outs); :meth:`retry` probes again, e.g. after the analyst unlocked the keyring.
    """

    def __init__(self, service: str = "Caliber Desktop") -> None:
        self._service = service
        self._lock = threading.RLock()
        self._probed = False
        self._backend: KeyringBackend | None = None  # None: memory only, for this run
        self._backend_name = NO_BACKEND
        self._problem: str | None = None
        self._plaintext = False
        self._memory: dict[str, str] = {}

    def __repr__(self) -> str:  # never the values, nor even which names are set
        with self._lock:
            state = "available" if self._backend is not None else "memory only"
            if not self._probed:
                state = "not probed"
            return (
                f"SecretStore(service={self._service!r}, backend={self._backend_name!r}, {state})"
            )

    # ------------------------------------------------------------------ state

    @property
    def available(self) -> bool:
        """Whether secrets set now survive a restart (a working, non-plaintext OS keyring)."""
        with self._lock:
            self._ensure_probed()
            return self._backend is not None

    @property
    def problem(self) -> str | None:
        """Why secrets are not remembered, for the sign-in dialog, Settings and ``doctor``."""
        with self._lock:
            self._ensure_probed()
            return self._problem

    @property
    def backend_name(self) -> str:
        """The backend found, e.g. "SecretService Keyring", or "none"."""
        with self._lock:
            self._ensure_probed()
            return self._backend_name

    @property
    def plaintext(self) -> bool:
        """True when the configured backend was refused for storing secrets in a plain file."""
        with self._lock:
            self._ensure_probed()
            return self._plaintext

    def retry(self) -> bool:
        """Probe the keyring again; on success move this run's in-memory secrets into it.

        For "unlock your keyring, then Retry" (rule 9: ask again and say why).
        """
        with self._lock:
            self._probed = False
            self._ensure_probed()
            backend = self._backend
            if backend is None:
                return False
            for name, value in list(self._memory.items()):
                done, _ = self._call("store", name, value, backend.set_password, value)
                if not done:
                    return False
                self._memory.pop(name, None)
            return True

    # ------------------------------------------------------------------ secrets

    def get(self, name: str) -> str | None:
        """The secret, or None when there is none (or the keyring cannot be read this run)."""
        with self._lock:
            self._ensure_probed()
            if name in self._memory:
                return self._memory[name]
            backend = self._backend
            if backend is None:
                return None
            _, found = self._call("read", name, None, backend.get_password)
            return found

    def set(self, name: str, value: str) -> bool:
        """Store ``value``; False means "kept in memory for this run only" (see ``problem``)."""
        with self._lock:
            self._ensure_probed()
            backend = self._backend
            if (
                backend is not None
                and self._call("store", name, value, backend.set_password, value)[0]
            ):
                self._memory.pop(name, None)
                return True
            self._memory[name] = value
            return False

    def delete(self, name: str) -> None:
        """Forget the secret, wherever it is; deleting a missing secret is not an error."""
        with self._lock:
            self._ensure_probed()
            self._memory.pop(name, None)
            backend = self._backend
            if backend is None:
                return

            def remove(service: str, username: str) -> None:
                try:
                    backend.delete_password(service, username)
                except PasswordDeleteError:
                    # "No such password" for most backends; a failure to delete an existing
                    # entry shows up as the entry still being there, so check rather than guess.
                    if backend.get_password(service, username) is not None:
                        raise

            self._call("delete", name, None, remove)

    # ------------------------------------------------------------------ internals

    def _ensure_probed(self) -> None:
        """Find the backend once, lazily: ``keyring.get_keyring()`` may talk to D-Bus."""
        if self._probed:
            return
        self._probed = True
        self._backend, self._backend_name, self._plaintext = None, NO_BACKEND, False
        self._problem = None
        try:
            configured = keyring.get_keyring()
        except Exception as exc:  # a broken keyringrc or backend import
            self._fail(None, "load", None, exc)
            return
        backend = _effective(configured)
        if backend is None or isinstance(backend, fail.Keyring):
            self._problem = _NO_KEYRING
            log.warning("No keyring backend: secrets are kept in memory for this run")
            return
        self._backend_name = _display_name(backend)
        if isinstance(backend, null.Keyring):
            self._problem = _NULL_KEYRING
            log.warning("The null keyring backend is selected: secrets kept in memory")
            return
        path = f"{_class_path(backend)} {_class_path(configured)}"
        if any(marker in path for marker in PLAINTEXT_BACKENDS):
            self._plaintext = True
            self._problem = (
                f"{self._backend_name} keeps secrets in a plain file, so Caliber does not use it; "
                f"{_THIS_RUN}. Uninstall keyrings.alt (or unset PYTHON_KEYRING_BACKEND) so the "
                "OS keyring is used, then restart Caliber."
            )
            log.warning("Refused the plain-text keyring backend %s", _class_path(backend))
            return
        # Talk to the backend that stores, not a chainer: a chainer would also read from
        # lower-priority backends, and Caliber writes to (and trusts) only the first.
        self._backend = backend
        # Reading a non-secret entry shows a locked or broken keyring now, at start-up, rather
        # than at the first sign-in; a locked Secret Service asks to be unlocked here.
        self._call("read", LAST_USER, None, backend.get_password)

    def _call(
        self,
        action: str,
        name: str,
        value: str | None,
        operation: Callable[..., _T],
        *extra: str,
    ) -> tuple[bool, _T | None]:
        """``operation(service, name, *extra)``; on any error switch to memory for this run.

        Returns (done, result). ``value`` is only used to scrub it from the logged error.
        """
        backend = self._backend
        try:
            return True, operation(self._service, name, *extra)
        except Exception as exc:  # locked, denied, D-Bus gone, backend bug: never a traceback
            self._fail(backend, action, name, exc, value)
            return False, None

    def _fail(
        self,
        backend: KeyringBackend | None,
        action: str,
        name: str | None,
        exc: BaseException,
        value: str | None = None,
    ) -> None:
        self._backend = None
        keyring_name = self._backend_name if backend is not None else "keyring"
        detail = _scrub(f"{type(exc).__name__}: {exc}", value)
        if isinstance(exc, NoKeyringError):
            self._problem = _NO_KEYRING
        elif backend is None:  # keyring.get_keyring() itself failed
            self._problem = (
                f"The keyring could not be loaded ({detail}); {_THIS_RUN}. Check that a keyring "
                "service is running in your desktop session (and PYTHON_KEYRING_BACKEND, if set), "
                "then restart Caliber."
            )
        elif isinstance(exc, KeyringLocked):
            self._problem = (
                f"The {keyring_name} is locked; {_THIS_RUN}. Unlock it (your login keyring) and "
                "try again, or restart Caliber after logging in to the desktop."
            )
        elif isinstance(exc, InitError):
            self._problem = (
                f"The {keyring_name} could not be opened ({detail}); {_THIS_RUN}. Check that the "
                "keyring service is running and unlocked, then restart Caliber."
            )
        else:
            self._problem = (
                f"The {keyring_name} failed to {action} a secret ({detail}); {_THIS_RUN}. Check "
                "that the keyring is unlocked and Caliber may use it, then restart Caliber."
            )
        entry = f" of {name!r}" if name else ""
        log.warning(
            "Keyring %s%s failed (%s); secrets kept in memory for this run", action, entry, detail
        )
