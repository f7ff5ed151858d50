"""Widgets, dialogs, item models and charts."""
