"""Reports for people who never read code: the report hub, the model card, lineage."""
