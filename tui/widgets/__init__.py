"""Widgets of the workbench, one feature folder each."""
