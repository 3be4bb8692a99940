"""Errors the toolkit raises for a user's mistakes (never for its own bugs)."""


class DataError(ValueError):
    """Data that cannot be fitted: the message names the family, problem and place."""


class BoundaryError(DataError):
    """Data whose MLE does not exist or lies on the boundary of the parameter space."""
