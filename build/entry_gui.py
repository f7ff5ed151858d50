"""Frozen entry point of the windowed app (``caliber-desktop``) and its console debug variant.

``multiprocessing.freeze_support()`` must run before anything else: in a frozen app a
multiprocessing child re-executes this file and has to stop here instead of opening a window.
"""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    # Imported only after freeze_support, so a child process never loads Qt.
    from caliber_desktop.__main__ import run

    sys.exit(run(sys.argv[1:]))
