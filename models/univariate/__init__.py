"""Univariate families: one module per family, each declaring ``FAMILY``."""
