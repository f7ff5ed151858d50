"""The scoring engine: Qt-free, deterministic, one module per stage (see ``model.py``)."""
