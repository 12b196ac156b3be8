"""One module per shop: only that shop's knowledge."""
