"""Team mode: one MLflow tracking server and registry on PostgreSQL, shared by everyone."""
