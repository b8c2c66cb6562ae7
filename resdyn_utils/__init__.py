"""Helpers of the resdyn book: data, models, training, eq. 3 dynamics, transients,
adaptive depth, figures, widgets, results and the book runner."""

__version__ = "0.1.0"
