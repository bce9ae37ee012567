"""Service functions: the domain core that routes, the CLI and jobs call. No FastAPI here."""
