"""Batch scoring: files of any size scored with a registered model, streamed batch by batch."""
