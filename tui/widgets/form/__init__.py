"""The hyperparameter form."""
