"""The Charts tab: curves, verdict, decision regions."""
