"""Mastodon REST entities, rendered from our models in batches (a page of statuses costs a fixed number of
queries, not one per row). One module per entity family."""
