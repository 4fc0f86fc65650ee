"""perceptune's Textual workbench: a thin layer over core."""
