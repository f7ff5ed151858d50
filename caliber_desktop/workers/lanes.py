"""Where a job runs (its lane) and what a finished job changed (its changes).

**Lanes.** Every job declares a :class:`Lane`; the registry submits it to that lane's pool, so no
caller picks a pool by hand (and none can forget the write lane). The serial DB lane is the
default (Anki's ``taskman``: work that touches the collection is serialised unless it says
otherwise): a job that does not say where it runs is treated as a store write, the safe choice.
Jobs that need no serialising opt out explicitly:

==============  ===============================================================================
``DB``          store writes, and anything that must not race them (one thread, submission order)
``READ``        store reads; SQLite in WAL mode lets them run beside a write
``CPU``         long computation and file work (scoring, exports, the PDF report)
``NETWORK``     the network or the OS keyring, which can block for a long time
==============  ===============================================================================

``READ``, ``CPU`` and ``NETWORK`` share Qt's global pool today; they are separate so that giving
one its own pool (say, network calls that must not starve scoring) is a change to
:func:`pool_for` alone.

**Changes.** A job also declares what a successful run of it changes (:class:`Change`); after it
finished, the registry emits one ``changed`` signal with that set and every panel decides for
itself whether to reload (Anki's ``operation_did_execute``).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

import shiboken6
from PySide6.QtCore import QCoreApplication, QThreadPool

#: The DB lane's name; its pool thread carries it too (logs and tests see it).
DB_LANE_NAME = "caliber-db-lane"


class Lane(StrEnum):
    """The pool a job runs on; see the module docstring for which to choose."""

    DB = "db"
    READ = "read"
    CPU = "cpu"
    NETWORK = "network"


class Change(StrEnum):
    """A kind of data a job changes; what panels listening to ``changed`` reload for."""

    CAMPAIGNS = "campaigns"
    TEMPLATES = "templates"
    UPLOADS = "uploads"
    RUNS = "runs"
    #: pins (list overrides) of a campaign's sites
    OVERRIDES = "overrides"
    INSIGHTS = "insights"
    CHAT = "chat"
    #: the settings file
    SETTINGS = "settings"
    #: who is signed in (the session, the user row the workspace is bound to)
    SESSION = "session"
    #: secrets in the OS keyring (the OpenAI API key)
    SECRETS = "secrets"
    #: files in the data folder the store does not list (old exports, orphaned blobs, temp files)
    FILES = "files"


#: Everything deleting a campaign takes with it.
CAMPAIGN_AND_CONTENTS = frozenset(
    {Change.CAMPAIGNS, Change.UPLOADS, Change.RUNS, Change.OVERRIDES, Change.INSIGHTS, Change.CHAT}
)


def changes_of(kinds: Iterable[Change] | None) -> frozenset[Change]:
    return frozenset(kinds) if kinds is not None else frozenset()


class _DbLane:
    """Holder of the process-wide write lane, created on first use."""

    pool: QThreadPool | None = None


def db_lane() -> QThreadPool:
    """The one-thread pool that serialises every store write (rule 6); one per process.

    It is a child of the application object, so it is torn down (waiting for its thread) before
    the application is; a new application gets a new lane.
    """
    pool = _DbLane.pool
    if pool is None or not shiboken6.isValid(pool):
        pool = QThreadPool(QCoreApplication.instance())
        pool.setObjectName(DB_LANE_NAME)
        pool.setMaxThreadCount(1)
        _DbLane.pool = pool
    return pool


def pool_for(lane: Lane) -> QThreadPool:
    """The pool that runs ``lane``'s jobs."""
    if lane is Lane.DB:
        return db_lane()
    return QThreadPool.globalInstance()
