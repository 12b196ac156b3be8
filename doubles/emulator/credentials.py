"""The emulator's built-in seller and credentials: what the demo and tests log in with."""

from __future__ import annotations

from stockguard.core.config import Secrets

EMULATOR_SELLER_ID = "A1STOCKGUARDEMU"
EMULATOR_SECRETS = Secrets(
    lwa_client_id="amzn1.application-oa2-client.stockguard-emulator",
    lwa_client_secret="emulator-client-secret",
    refresh_token="Atzr|stockguard-emulator-refresh-token",
)
