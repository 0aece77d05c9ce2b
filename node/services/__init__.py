"""Domain operations, one module per area. No HTTP here: handlers and the CLI call these."""
