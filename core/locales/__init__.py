"""Message catalogues of core/i18n.py, one TOML file per locale."""
