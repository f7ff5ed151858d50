"""One exception hierarchy whose messages an analyst can act on.

Every expected failure (a bad file, a missing setting, a locked or too-new database, an object that
is not yours) is raised as a `CaliberError` subclass whose `str()` is a complete sentence naming the
thing and what to do. The GUI shows it in a dialog and the CLI prints it; neither shows a traceback.
Anything that is *not* a `CaliberError` is a bug: it is logged with its traceback.
"""

from __future__ import annotations


class CaliberError(Exception):
    """Base of every expected, user-facing failure."""

    #: Process exit status the CLI uses for this kind of failure.
    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(message if hint is None else f"{message} {hint}")


class ValidationError(CaliberError):
    """Input that breaks a rule: a missing or invalid field, a forbidden transition."""

    exit_code = 2  # bad input, like a usage error

    def __init__(self, message: str, *, field: str | None = None, hint: str | None = None) -> None:
        self.field = field
        super().__init__(message, hint=hint)


class NotFoundError(CaliberError):
    """The object does not exist *for the current user*.

    Another user's object is reported exactly like a missing one, so ids cannot be probed.
    """

    exit_code = 3

    def __init__(self, kind: str, ident: object) -> None:
        self.kind = kind
        self.ident = ident
        super().__init__(
            f"{kind} {ident} was not found.",
            hint=f"List your {kind.lower()}s to see the ids you can use.",
        )


class ConflictError(CaliberError):
    """The action is refused because of the state of other objects (in use, busy, duplicate)."""

    exit_code = 4


class FileRejectedError(CaliberError):
    """A report file that cannot be used; nothing was stored."""

    exit_code = 2  # bad input: the file, not the program

    def __init__(self, path: object, reason: str, *, hint: str | None = None) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}", hint=hint)


class StoreError(CaliberError):
    """The local database cannot be used (locked, corrupt, too new, disk full)."""

    exit_code = 6


class SchemaTooNewError(StoreError):
    """The database was written by a newer Caliber than this one."""


class ConfigError(CaliberError):
    """The settings file or environment is unusable."""


class AuthError(CaliberError):
    """Sign-in failed or the session cannot continue; the message says what to do.

    ``reason`` is a stable code for the GUI and tests (``wrong_password``, ``network``, ...). The
    message never contains the password or a token.
    """

    exit_code = 5

    #: Reasons that mean "could not get an answer", not "the server said no": the network is
    #: down, the emulator is not running, Firebase answered with a server error, or HTTPS to it
    #: was refused (``tls``: a certificate this computer does not trust, as behind a company's
    #: TLS-inspecting proxy whose CA is not installed).
    UNREACHABLE = frozenset({"network", "emulator_unreachable", "server", "tls"})

    def __init__(self, message: str, *, reason: str, hint: str | None = None) -> None:
        self.reason = reason
        super().__init__(message, hint=hint)

    @property
    def unreachable(self) -> bool:
        """True when the network or the emulator is down: the offline grace may apply."""
        return self.reason in self.UNREACHABLE


class AdminRequiredError(AuthError):
    """Team administration asked by someone who is not an administrator (exit 5, like any refused
    sign-in). ``reason``: ``not_admin`` (a signed-in analyst) or ``offline`` (the role cannot be
    checked without a connection)."""


class AIError(CaliberError):
    """The AI assistant could not answer; the message says what to do (key, limits, endpoint).

    ``reason`` is a stable code for the GUI and tests: ``no_key``, ``auth``, ``rate_limit``,
    ``server``, ``timeout``, ``connection``, ``tls`` (the endpoint's certificate is not trusted),
    ``bad_request``, ``refused`` or ``other``. The message never contains the key.
    """

    exit_code = 7

    #: Reasons that mean "no answer came back" (network down, endpoint not running, too slow,
    #: HTTPS refused): insights fall back to an offline insight built from the run's statistics.
    UNREACHABLE = frozenset({"timeout", "connection", "tls"})

    def __init__(self, message: str, *, reason: str = "other", hint: str | None = None) -> None:
        self.reason = reason
        super().__init__(message, hint=hint)

    @property
    def unreachable(self) -> bool:
        return self.reason in self.UNREACHABLE


class RateLimitedError(AIError):
    """Too many AI requests: Caliber's own per-user limit, or the endpoint's 429 after retries.

    ``retry_after_s`` is how long to wait before the same request can succeed.
    """

    exit_code = 8

    def __init__(self, message: str, *, retry_after_s: float, hint: str | None = None) -> None:
        self.retry_after_s = float(retry_after_s)
        super().__init__(message, reason="rate_limit", hint=hint)
