"""Entativa's ActivityPub protocol layer: signatures, the guarded outbound client, discovery documents,
AS2 vocabulary and the activity handler registry. It never imports the node; the node passes in key
resolvers and registers handlers."""
