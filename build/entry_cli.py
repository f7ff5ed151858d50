"""Frozen entry point of the console command ``caliber`` (never loads Qt unless asked to).

``multiprocessing.freeze_support()`` runs first, as in ``entry_gui.py``. Without arguments the
command prints its help instead of opening a window: the window is ``caliber-desktop``.
"""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from caliber_desktop.cli.main import main

    sys.exit(main(sys.argv[1:] or ["--help"], one_shot=True))
