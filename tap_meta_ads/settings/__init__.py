"""Settings: declaration (schema), typed model (model) and semantic checks (checks)."""
