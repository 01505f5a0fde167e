"""Online serving building blocks: A/B assignment, request validation, the prediction log."""
