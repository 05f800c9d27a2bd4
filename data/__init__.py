"""Domain data: schema, storage, skills taxonomy, importers and the demo-company generator."""
