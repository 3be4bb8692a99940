"""Regression families: a response given covariates, one module per family.

Each module declares a :class:`~models.regression.declaration.RegressionFamily`
as ``FAMILY``; the registry in :mod:`models` lists them with the rest of the
catalog. Parameters are ``beta`` (one coefficient per design column, the
intercept first) and the family's extra parameters, except for
``nonlinear_regression``, whose mean parameters are named by the user.
"""
