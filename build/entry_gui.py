"""Frozen entry point of the windowed app (``caliber-desktop``) and its console debug variant.

``multiprocessing.freeze_support()`` must run before anything else: in a frozen app a
multiprocessing child re-executes this file and has to stop here instead of opening a window.

This runs the window only (``caliber_desktop.app.main``), never the command line: the bundle has
its own console executable for that (``caliber``, entry_cli.py), and the windowed executable has
no stdout on Windows, so a command given to it would fail without a word. ``app.main`` refuses
such arguments with a dialog and a log line that point to ``caliber``.
"""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    # Imported only after freeze_support, so a child process never loads Qt.
    from caliber_desktop.app import main

    sys.exit(main(sys.argv[1:]))
