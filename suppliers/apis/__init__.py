"""Official item APIs as sources: ``base`` (the ItemApi contract), ``errors``, and one module
per API (``amazon``: SP-API Product Pricing offers read as verdicts)."""
