"""The Next step tab."""
