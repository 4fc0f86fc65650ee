"""The dataset pane."""
