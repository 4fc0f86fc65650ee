"""Sweeps: the builder's fields, the results widgets, the Queue tab's sweep rows and
the model of the sweeps this session runs."""
