"""Modal screens: help, quit confirmation, resume of interrupted runs."""
