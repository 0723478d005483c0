"""Mushroom edibility MLOps: the domain package shared by Lambdas, layers and training."""

__version__ = "0.1.0"
