"""Qt-free services: everything the GUI and CLI do, scoped to the current user."""
