"""Use cases: what the CLI, the app and the weekly batch ask of the product, one module each."""
