"""The Queue tab."""
