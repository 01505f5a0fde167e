"""Monitoring in production: drift, performance, the retraining decision and A/B analysis."""
