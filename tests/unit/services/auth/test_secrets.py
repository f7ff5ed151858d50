"""The secrets store over the OS keyring: round trips, every way a keyring fails, threads.

The autouse ``memory_keyring`` fixture (tests/conftest.py) installs a working in-memory backend;
the failure tests swap in backends that raise what real keyrings raise.
"""

from __future__ import annotations

import logging
import threading

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail, null
from keyring.errors import (
    InitError,
    KeyringError,
    KeyringLocked,
    NoKeyringError,
    PasswordDeleteError,
    PasswordSetError,
)

from caliber_desktop.services.auth.secrets import (
    LAST_USER,
    OPENAI_API_KEY,
    SecretStore,
    refresh_token_name,
)
from caliber_desktop.services.maintenance import doctor

SECRET = "sk-test-9f8e7d6c5b4a-SECRET"
TOKEN = "AMf-vBx-refresh-token-1234567890"


class BrokenKeyring(KeyringBackend):
    """A backend whose every call raises ``error`` (locked, denied, D-Bus gone ...)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error
        self.calls = 0

    def get_password(self, service: str, username: str) -> str | None:
        self.calls += 1
        raise self.error

    def set_password(self, service: str, username: str, password: str) -> None:
        self.calls += 1
        raise self.error

    def delete_password(self, service: str, username: str) -> None:
        self.calls += 1
        raise self.error


class WriteOnceBroken(KeyringBackend):
    """Reads work (the start-up probe passes); writing fails and echoes the value, as some do."""

    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        raise PasswordSetError(f"could not store {password!r}")

    def delete_password(self, service: str, username: str) -> None:
        raise PasswordDeleteError("No such password!")


class PlaintextKeyring(KeyringBackend):
    """Named like keyrings.alt's file backend, which Caliber refuses."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[str, str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get(username)

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[username] = password

    def delete_password(self, service: str, username: str) -> None:
        self.secrets.pop(username, None)


def install(backend: KeyringBackend) -> KeyringBackend:
    """``keyring.set_keyring`` for one test; the autouse fixture restores the previous one."""
    keyring.set_keyring(backend)
    return backend


def assert_no_secret_in(caplog: pytest.LogCaptureFixture, store: SecretStore) -> None:
    text = caplog.text + repr(store) + str(store.problem)
    for value in (SECRET, TOKEN):
        assert value not in text


# --------------------------------------------------------------------- a working keyring


def test_round_trip_through_the_os_keyring(memory_keyring: KeyringBackend) -> None:
    store = SecretStore()
    assert store.available
    assert store.problem is None
    assert store.backend_name == "conftest MemoryKeyring"

    assert store.get(OPENAI_API_KEY) is None
    assert store.set(OPENAI_API_KEY, SECRET) is True
    assert store.set(refresh_token_name("uid-1"), TOKEN) is True
    assert store.set(LAST_USER, "uid-1") is True
    assert store.get(OPENAI_API_KEY) == SECRET
    # Really in the keyring, under the service name: a new store (the next run) finds it.
    assert keyring.get_password("Caliber Desktop", OPENAI_API_KEY) == SECRET
    assert SecretStore().get(refresh_token_name("uid-1")) == TOKEN

    store.set(OPENAI_API_KEY, "sk-replaced")
    assert store.get(OPENAI_API_KEY) == "sk-replaced"

    store.delete(OPENAI_API_KEY)
    store.delete(OPENAI_API_KEY)  # idempotent
    store.delete("never-set")
    assert store.get(OPENAI_API_KEY) is None
    assert keyring.get_password("Caliber Desktop", OPENAI_API_KEY) is None
    assert store.available


def test_services_are_kept_apart() -> None:
    SecretStore("Caliber Desktop").set(OPENAI_API_KEY, SECRET)
    assert SecretStore("Caliber Desktop (tests)").get(OPENAI_API_KEY) is None


def test_refresh_tokens_are_per_user() -> None:
    assert refresh_token_name("a") != refresh_token_name("b")
    assert refresh_token_name("a") not in (LAST_USER, OPENAI_API_KEY)
    with pytest.raises(ValueError, match="uid"):
        refresh_token_name(" ")


def test_repr_never_shows_values_or_names() -> None:
    store = SecretStore()
    store.set(OPENAI_API_KEY, SECRET)
    text = repr(store)
    assert SECRET not in text
    assert OPENAI_API_KEY not in text
    assert "available" in text


# --------------------------------------------------------------------- failing keyrings


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (KeyringLocked("Failed to unlock the collection!"), "is locked"),
        (NoKeyringError("No recommended backend was available."), "No keyring service"),
        (PasswordSetError("Access denied"), "failed to read"),
        (InitError("Failed to create the collection: Prompt dismissed.."), "could not be opened"),
        (RuntimeError("D-Bus connection closed"), "failed to read"),
    ],
)
def test_a_failing_keyring_falls_back_to_memory(
    error: Exception, words: str, caplog: pytest.LogCaptureFixture
) -> None:
    backend = install(BrokenKeyring(error))
    store = SecretStore()
    with caplog.at_level(logging.DEBUG):
        assert store.available is False
        assert store.set(OPENAI_API_KEY, SECRET) is False  # kept for this run only
        assert store.set(refresh_token_name("uid-1"), TOKEN) is False
        assert store.get(OPENAI_API_KEY) == SECRET
        store.delete(OPENAI_API_KEY)
        store.delete(OPENAI_API_KEY)
        assert store.get(OPENAI_API_KEY) is None
        assert store.get(refresh_token_name("uid-1")) == TOKEN
    assert store.problem is not None
    assert words in store.problem
    assert "this run only" in store.problem
    assert "keyrings.alt" not in store.problem  # keyring's own advice is not ours
    assert "failed" in caplog.text  # the warning is logged ...
    assert_no_secret_in(caplog, store)  # ... without the value
    assert backend.calls == 1  # one probe, then memory for the run: no repeated unlock prompts


def test_a_write_error_is_logged_without_the_value(caplog: pytest.LogCaptureFixture) -> None:
    install(WriteOnceBroken())
    store = SecretStore()
    assert store.available
    with caplog.at_level(logging.WARNING):
        assert store.set(OPENAI_API_KEY, SECRET) is False
    assert store.available is False
    assert store.problem is not None
    assert "failed to store" in store.problem
    assert "PasswordSetError" in caplog.text
    assert_no_secret_in(caplog, store)
    assert store.get(OPENAI_API_KEY) == SECRET


def test_deleting_a_missing_entry_is_not_a_keyring_failure() -> None:
    install(WriteOnceBroken())
    store = SecretStore()
    store.delete(OPENAI_API_KEY)
    assert store.available
    assert store.problem is None


def test_no_backend_at_all(caplog: pytest.LogCaptureFixture) -> None:
    install(fail.Keyring())
    store = SecretStore()
    with caplog.at_level(logging.WARNING):
        assert store.available is False
    assert store.backend_name == "none"
    assert store.problem is not None
    assert store.problem.startswith("No keyring service is running")
    assert "GNOME Keyring" in store.problem
    assert store.set(LAST_USER, "uid-1") is False
    assert store.get(LAST_USER) == "uid-1"
    assert "No keyring backend" in caplog.text


def test_the_null_backend_is_not_a_keyring() -> None:
    install(null.Keyring())  # accepts everything and keeps nothing
    store = SecretStore()
    assert store.available is False
    assert store.problem is not None
    assert "switched off" in store.problem
    assert store.set(OPENAI_API_KEY, SECRET) is False
    assert store.get(OPENAI_API_KEY) == SECRET


def test_a_plaintext_backend_is_refused() -> None:
    backend = install(PlaintextKeyring())
    store = SecretStore()
    assert store.available is False
    assert store.plaintext
    assert store.problem is not None
    assert "plain file" in store.problem
    assert store.set(OPENAI_API_KEY, SECRET) is False
    assert isinstance(backend, PlaintextKeyring)
    assert backend.secrets == {}  # nothing written in clear


def test_get_keyring_itself_failing(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> KeyringBackend:
        raise RuntimeError("Unable to initialize SecretService: DBUS_SESSION_BUS_ADDRESS unset")

    monkeypatch.setattr(keyring, "get_keyring", broken)
    store = SecretStore()
    assert store.available is False
    assert store.backend_name == "none"
    assert store.problem is not None
    assert "could not be loaded" in store.problem


def test_retry_moves_this_runs_secrets_into_the_unlocked_keyring(
    memory_keyring: KeyringBackend,
) -> None:
    install(BrokenKeyring(KeyringLocked("locked")))
    store = SecretStore()
    assert store.set(OPENAI_API_KEY, SECRET) is False
    assert store.retry() is False  # still locked
    assert store.problem is not None

    install(memory_keyring)  # the analyst unlocked it
    assert store.retry() is True
    assert store.available
    assert store.problem is None
    assert keyring.get_password("Caliber Desktop", OPENAI_API_KEY) == SECRET
    assert store.get(OPENAI_API_KEY) == SECRET


def test_keyring_errors_never_escape() -> None:
    """Every public call on a broken keyring returns normally (no KeyringError traceback)."""
    install(BrokenKeyring(KeyringError("boom")))
    store = SecretStore()
    store.delete(LAST_USER)
    assert store.get(LAST_USER) is None
    assert store.set(LAST_USER, "uid") is False
    assert "BrokenKeyring" in store.backend_name
    assert store.retry() is False


# --------------------------------------------------------------------- threads


def test_threads_share_one_store(memory_keyring: KeyringBackend) -> None:
    store = SecretStore()
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def work(index: int) -> None:
        try:
            start.wait()
            for round_ in range(50):
                name, value = f"entry-{index}", f"value-{index}-{round_}"
                assert store.set(name, value)
                assert store.get(name) == value
                if round_ % 10 == 0:
                    store.delete(name)
                    assert store.get(name) is None
        except BaseException as exc:  # collected and re-raised on the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert store.available
    assert {store.get(f"entry-{i}") for i in range(8)} == {f"value-{i}-49" for i in range(8)}


def test_threads_probe_once_on_a_broken_keyring() -> None:
    backend = install(BrokenKeyring(KeyringLocked("locked")))
    store = SecretStore()
    threads = [
        threading.Thread(target=store.set, args=(f"entry-{i}", f"value-{i}")) for i in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert isinstance(backend, BrokenKeyring)
    assert backend.calls == 1
    assert [store.get(f"entry-{i}") for i in range(8)] == [f"value-{i}" for i in range(8)]


# --------------------------------------------------------------------- caliber doctor


def test_doctor_names_the_working_backend() -> None:
    check = doctor.check_keyring()
    assert check.status is doctor.Status.OK
    assert "MemoryKeyring" in check.detail


def test_doctor_warns_with_the_stores_problem() -> None:
    install(fail.Keyring())
    check = doctor.check_keyring()
    assert check.status is doctor.Status.WARN
    assert check.detail.startswith("No keyring service is running")

    install(BrokenKeyring(KeyringLocked("locked")))
    check = doctor.check_keyring()
    assert check.status is doctor.Status.WARN
    assert "BrokenKeyring: The " in check.detail
    assert "is locked" in check.detail


def test_doctor_fails_on_a_plaintext_backend() -> None:
    install(PlaintextKeyring())
    check = doctor.check_keyring()
    assert check.status is doctor.Status.FAIL
    assert "plain text" in check.detail
    assert "keyrings.alt" in check.hint
