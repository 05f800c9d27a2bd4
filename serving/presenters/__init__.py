"""Presenters: the functions that turn rows and use-case results into the documents the API
sends, one module per resource. Routes and use cases both call them; none of them reads the
request (no FastAPI dependency, no route module), so a use case may build its whole answer
with them and a route never edits that answer with another route's helper."""
