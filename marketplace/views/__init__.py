"""The marketplace's server-rendered pages, one module per area."""
