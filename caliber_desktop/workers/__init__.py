"""QRunnable workers: the only bridge between Qt and the domain."""
