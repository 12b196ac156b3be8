"""Message catalogues of sync/i18n.py, one TOML file per locale."""
