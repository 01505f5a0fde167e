"""Online serving building blocks: A/B assignment, request validation, the prediction log."""

# Where several workers keep their Prometheus metrics, so /metrics sums them: prometheus_client
# reads it when it is imported, so `mlcycle serve` sets it before importing the app.
MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
