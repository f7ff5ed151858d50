"""``python -m caliber_desktop``: the window or, given a command, the CLI.

No arguments (or only the GUI's own flags) open the window; anything else is a CLI command, so
``python -m caliber_desktop score FILE`` scores headlessly from a console. Each side is imported
only when chosen, so the CLI never loads Qt. The frozen bundle does not dispatch like this: its
windowed executable (build/entry_gui.py) has no console on Windows, so it runs the window only
and its console executable ``caliber`` runs the commands.
"""

import multiprocessing
import sys

#: The GUI's own flags (see caliber_desktop.app); kept here so the CLI path never imports Qt.
GUI_FLAGS = frozenset({"--smoke", "--qt-probe"})


def run(argv: list[str]) -> int:
    """The window or a CLI command, in this process of its own (it ends when this returns)."""
    if all(arg in GUI_FLAGS for arg in argv):
        from caliber_desktop.app import main as gui_main

        return gui_main(argv)
    from caliber_desktop.cli.main import main as cli_main

    return cli_main(argv, one_shot=True)


if __name__ == "__main__":
    # First of all: in a frozen app a multiprocessing child re-runs this file and must stop here.
    multiprocessing.freeze_support()
    sys.exit(run(sys.argv[1:]))
