"""perceptune's engine: hyperparameter config, datasets, faithful per-epoch training,
diagnosis, search, executors, the SQLite run store and the headless CLI.

Importing ``core`` is cheap and never imports textual or rich; scikit-learn is
imported only when a run trains or a dataset loads.
"""
