"""The training job: assemble → train → evaluate → register (adapters over the domain package)."""
