"""Families whose observations are rows of several values (``data_ndim=2``)."""
