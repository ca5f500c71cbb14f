"""The HTTP layer: `kb serve` serves the built site and the API over one knowledge base."""
