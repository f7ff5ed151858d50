"""Named jobs for the OpenAI API key in the OS keyring: read, save, remove, try again.

Keyring calls can block (a locked Secret Service asks to be unlocked, D-Bus can time out), so
they declare the network lane. Each job hands back a :class:`KeyState` holding the masked key
only: the full key never travels back to the GUI thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from caliber_desktop.services.auth.secrets import OPENAI_API_KEY
from caliber_desktop.workers.base import FunctionWorker, Worker
from caliber_desktop.workers.lanes import Change, Lane

if TYPE_CHECKING:
    from caliber_desktop.services.auth.secrets import SecretStore

#: Keys shorter than this show no tail at all: four characters would be too much of them.
SHOW_TAIL_FROM = 12


def mask_key(value: str) -> str:
    """``sk-…abcd``: enough to recognise which key is stored, too little to use it."""
    head = "sk-" if value.startswith("sk-") else ""
    tail = value[-4:] if len(value) >= SHOW_TAIL_FROM else ""
    return f"{head}…{tail}"


@dataclass(frozen=True)
class KeyState:
    """What the settings box shows; built on the worker from the store, holding no secret."""

    mask: str | None
    available: bool
    problem: str | None
    backend: str

    @property
    def persisted(self) -> bool:
        """The key survives a restart (False: none stored, or kept in memory for this run)."""
        return self.mask is not None and self.available


def read_state(store: SecretStore) -> KeyState:
    """Runs on a worker: every property may probe the keyring."""
    value = store.get(OPENAI_API_KEY)
    return KeyState(
        mask=mask_key(value) if value else None,
        available=store.available,
        problem=store.problem,
        backend=store.backend_name,
    )


def save_key(store: SecretStore, value: str) -> KeyState:
    store.set(OPENAI_API_KEY, value)  # False = kept for this run only; read_state tells
    return read_state(store)


def remove_key(store: SecretStore) -> KeyState:
    store.delete(OPENAI_API_KEY)
    return read_state(store)


def retry_keyring(store: SecretStore) -> KeyState:
    store.retry()  # e.g. after the analyst unlocked the keyring; moves this run's key into it
    return read_state(store)


# ---------------------------------------------------------------------- named jobs


def read_api_key(store: SecretStore) -> Worker:
    return FunctionWorker(read_state, store, title="Reading the OpenAI API key", lane=Lane.NETWORK)


def save_api_key(store: SecretStore, value: str) -> Worker:
    return FunctionWorker(
        save_key,
        store,
        value,
        title="Saving the OpenAI API key",
        for_analyst=True,
        lane=Lane.NETWORK,
        changes={Change.SECRETS},
    )


def remove_api_key(store: SecretStore) -> Worker:
    return FunctionWorker(
        remove_key,
        store,
        title="Removing the OpenAI API key",
        for_analyst=True,
        lane=Lane.NETWORK,
        changes={Change.SECRETS},
    )


def retry_api_keyring(store: SecretStore) -> Worker:
    """Try the keyring again; a key kept for this run only moves into it if it now works."""
    return FunctionWorker(
        retry_keyring,
        store,
        title="Opening the keyring",
        for_analyst=True,
        lane=Lane.NETWORK,
        changes={Change.SECRETS},
    )
