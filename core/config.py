"""Settings: a TOML file plus the environment, turned into frozen dataclasses.

This is the only module that reads ``os.environ``. Secrets (LWA client id and secret, refresh
token, IMAP password) come from the environment only, are kept in ``Secrets`` whose ``repr``
hides them, and are never written anywhere.

A file with an unknown key or a value of the wrong type is refused with a ConfigError naming
the key (``[suppliers] min_gap_seconds: expected a number, got "fast"``).
"""

from __future__ import annotations

import os
import re
import tomllib
import types
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints

from stockguard.core.errors import ConfigError

DEFAULT_DB_URL = "sqlite:///stockguard.db"
CONFIG_ENV = "STOCKGUARD_CONFIG"
DB_ENV = "STOCKGUARD_DB"


@dataclass(frozen=True)
class StoreSettings:
    """Where the database lives: a SQLAlchemy URL or a plain SQLite file path."""

    url: str = DEFAULT_DB_URL


@dataclass(frozen=True)
class AccountSettings:
    """One seller account of ``[[amazon.accounts]]`` (core/accounts.py says how it is used)."""

    name: str = ""
    seller_id: str = ""
    marketplaces: tuple[str, ...] = ()  # short codes or SP-API ids, all of one region
    credentials: str = ""  # env prefix: STOCKGUARD_<PREFIX>_LWA_CLIENT_ID...; default: the name
    endpoint: str | None = None  # None: the region's SP-API endpoint (or [amazon] endpoint)
    lwa_endpoint: str | None = None  # None: [amazon] lwa_endpoint, else Amazon's


@dataclass(frozen=True)
class AmazonSettings:
    """The seller account and, for the emulator, where the SP-API and LWA endpoints are.

    With ``[[amazon.accounts]]`` the store serves several accounts; ``seller_id`` and
    ``marketplace`` are then unused and the rest (retries, timeouts) is shared by all.
    """

    seller_id: str = ""
    marketplace: str = "US"
    endpoint: str | None = None  # None: Amazon's regional endpoint; else e.g. http://127.0.0.1:PORT
    lwa_endpoint: str | None = None  # None: https://api.amazon.com; else the emulator's base URL
    patch_burst_max: int = 20  # more zeroings than this at once go out as one JSON_LISTINGS_FEED
    max_retries: int = 8
    timeout_seconds: float = 30.0
    backoff_base_seconds: float = 1.0  # first retry delay after a 429/5xx (doubles, jittered)
    backoff_max_seconds: float = 60.0
    poll_initial_seconds: float = 1.0  # first wait between getFeed/getReport polls (grows 1.5x)
    poll_max_seconds: float = 30.0
    poll_timeout_seconds: float = 3600.0  # a feed or report still running after this fails
    accounts: tuple[AccountSettings, ...] = ()


@dataclass(frozen=True)
class SellerPhraseSettings:
    """A seller's own stock phrases for one shop host or one source URL
    (``[suppliers.phrases."shop.example.jp"]``); they beat the built-in phrase tables there."""

    in_stock: tuple[str, ...] = ()
    out_of_stock: tuple[str, ...] = ()
    preorder: tuple[str, ...] = ()


@dataclass(frozen=True)
class SupplierSettings:
    """How politely and how patiently supplier pages are fetched."""

    user_agent: str = "stockguard/0.1 (+https://github.com/stockguard/stockguard; stock check)"
    connect_timeout: float = 5.0
    read_timeout: float = 20.0
    max_in_flight_per_host: int = 2
    min_gap_seconds: float = 1.0  # minimum time between two requests to the same host
    max_bytes: int = 8_000_000
    retries: int = 2
    workers: int = 16
    total_timeout: float = 60.0  # a body that trickles in for longer is refused
    backoff_seconds: float = 1.0  # first retry after this, doubling each time
    max_backoff_seconds: float = 30.0
    max_retry_after_seconds: float = 300.0  # a longer Retry-After gives up (host paused this long)
    # keyed by shop host ("shop.example.jp", subdomains too) or by one source's URL
    phrases: dict[str, SellerPhraseSettings] = field(default_factory=dict)
    # Private addresses, networks or host names a seller sources from (suppliers/addresses.py).
    allow_private: tuple[str, ...] = ()


@dataclass(frozen=True)
class FeedSettings:
    """How one supplier's CSV feed is read (``[feeds.<supplier>]``)."""

    code_column: str = "商品コード"
    quantity_column: str = "在庫数"
    price_column: str | None = None
    lead_time_column: str | None = None
    currency: str = "JPY"
    full_feed: bool = True  # an item missing from a full feed is OUT_OF_STOCK
    missing_is_out_of_stock: bool = True
    blank_quantity: str = "refuse"  # refuse | zero | unknown
    max_out_of_stock_share_increase: float = 0.30  # drift guard: +30 points of OOS share
    max_total_quantity_drop: float = 0.60  # drift guard: total quantity falls by > 60%
    min_row_ratio: float = 0.70  # drift guard: fewer than 70% of the previous rows
    drift_min_items: int = 10  # the drift guard compares only with a previous feed this large
    code_kind: str = "code"  # code | jan (JAN: 8 or 13 digits with a valid check digit)
    code_zero_pad: int = 0  # pad numeric item codes to this width (Excel strips leading zeros)
    encoding: str | None = None  # None: detect (BOM, UTF-8, CP932, EUC-JP)


@dataclass(frozen=True)
class ApiSettings:
    """One official item API (``[apis.NAME]``: ``[apis.amazon-jp]``, ``[apis.rakuten]``…).

    ``credentials`` maps each credential to the *name* of the environment variable holding
    it (the values are never in a file); unset, the family's defaults apply
    (``DEFAULT_API_CREDENTIALS``). The quota fields override the published limits (None: the
    API's own). The sourcing rule (Amazon): which New offers that ship now count as buyable.
    """

    enabled: bool = True
    endpoint: str | None = None  # None: the API's own; else e.g. the emulator's base URL
    lwa_endpoint: str | None = None  # Amazon: None is https://api.amazon.com
    credentials: dict[str, str] = field(default_factory=dict)  # credential -> env var name
    read_pages: bool = True  # item pages this API also answers (Amazon /dp/ASIN) go through it
    audit_share: float = 0.02  # share of API reads also read by page, to catch API errors
    confirm_after_minutes: float = 5.0  # a suspect negative needs a second read this much later
    calls_per_second: float | None = None
    burst: int | None = None
    calls_per_day: int | None = None
    timeout_seconds: float = 30.0
    sold_by_amazon: bool = False  # only the marketplace's own retail offer counts
    fulfilled_by_amazon: bool = False  # only FBA offers count
    prime: bool = False  # only Prime offers count
    max_landed_price: float | None = None  # listing price + shipping - points, at most


# Per API family: credential -> default environment variable ({MARKET}: the marketplace code
# of an amazon-<code> API). Rakuten and Yahoo add theirs here.
DEFAULT_API_CREDENTIALS: dict[str, dict[str, str]] = {
    "amazon": {
        "lwa_app_id": "LWA_APP_ID",
        "lwa_client_secret": "LWA_CLIENT_SECRET",
        "refresh_token": "SP_API_REFRESH_TOKEN_{MARKET}",
    },
    "rakuten": {
        "application_id": "STOCKGUARD_RAKUTEN_APP_ID",
        "access_key": "STOCKGUARD_RAKUTEN_ACCESS_KEY",
    },
    "yahoo": {"app_id": "STOCKGUARD_YAHOO_APP_ID"},
}


@dataclass(frozen=True)
class PolicySettings:
    """How observations become quantities (sync/policy.py)."""

    unknown_hold_minutes: int = 0  # 0: UNKNOWN zeroes at once; N: hold N minutes, then 0
    restore_after: int = 2  # consecutive IN_STOCK observations needed to go back above 0
    max_observation_age_hours: float = 48.0
    handling_margin_days: int = 0  # days of the handling time kept for repacking and transit


@dataclass(frozen=True)
class PlannerSettings:
    """What to check next (sync/planner.py)."""

    checks_per_hour: int = 2000
    min_interval_minutes: float = 10.0
    max_interval_hours: float = 168.0  # checked at least weekly, whatever the risk ranking
    host_checks_per_hour: int = 0  # politeness budget per supplier host; 0: no per-host cap
    lost_sale_weight: float = 0.05  # a lost sale costs this much of an oversell (a cancellation)
    prior_outage_days: float = 2.0  # prior mean length of a stock-out, before any is seen
    prior_stockouts_per_day: float = 0.05  # prior mean stock-out rate, before any is seen
    refit_hours: float = 1.0  # how often sales and stock-out rates are re-estimated
    api_horizon_seconds: float = 60.0  # per pass, each API gets the calls its quota allows
    # within this long (the pass waits for them): about the scheduler's check_every


@dataclass(frozen=True)
class CancellationSettings:
    """Cancellations and the rate report."""

    auto_apply: bool = False  # the scheduled service applies planned cancellations itself
    target_rate: float = 0.025
    window_days: int = 7


@dataclass(frozen=True)
class MailSettings:
    """Where Amazon's notification emails are read from (password: STOCKGUARD_IMAP_PASSWORD)."""

    imap_host: str = ""
    imap_port: int = 993
    imap_user: str = ""
    imap_folder: str = "INBOX"


@dataclass(frozen=True)
class SchedulerSettings:
    """How often each job of `stockguard run` runs (seconds)."""

    check_every: float = 60.0  # supplier checks due by the planner, decide, push zeroings
    push_every: float = 120.0  # resume whatever the outbox still holds
    verify_every: float = 300.0  # read accepted quantities back from Amazon
    orders_every: float = 300.0  # pull orders (searchOrders allows one call per 3 minutes)
    report_every: float = 86400.0  # the cancellation-rate report
    heartbeat_every: float = 30.0
    catalogue_every: float = 600.0  # re-read the catalogue (listings imported while running)
    schedule_every: float = 300.0  # store the planner's state, so a restart resumes it
    report_dir: str = "reports"


@dataclass(frozen=True)
class NotifySettings:
    """Alerts through Apprise (sync/notify/): where they go and how often.

    ``urls`` are Apprise URLs (``mailto://…``, ``slack://…``, ``ntfy://…``, ``json://…``);
    ``${NAME}`` in a URL is replaced by the environment variable NAME, so a token need not sit
    in the file. ``urls_env`` names a variable holding more URLs (space or comma separated).
    The expanded URLs live in ``Secrets.notify_urls`` and are never printed or logged.
    """

    urls: list[str] = field(default_factory=list)
    urls_env: str = ""
    digest_minutes: float = 15.0  # at most one message per this many minutes
    rate_margin: float = 0.005  # warn when the 7-day rate is within this of the target
    host_unknown_share: float = 0.5  # a host whose checks are this share UNKNOWN is failing
    host_min_checks: int = 5  # ... once it has had at least this many checks in a digest
    lines_per_topic: int = 20  # longer lists end "… and N more"


@dataclass(frozen=True)
class DisplaySettings:
    """How stockguard talks to the seller: language and time zone of everything printed.

    ``locale``: ``en`` or ``ja``; empty means the system locale (LC_ALL, LC_MESSAGES, LANG).
    ``timezone``: an IANA zone such as ``Asia/Tokyo``; times are printed in it, labelled.
    """

    locale: str = ""
    timezone: str = "UTC"


@dataclass(frozen=True)
class WorkersSettings:
    """The distributed runner (sync/workers/, PostgreSQL only): `run` dispatches host batches,
    `stockguard worker` processes check them. Off: `run` checks in its own process."""

    enabled: bool = False  # `run` is the dispatcher (same as `run --workers`)
    concurrency: int = 16  # host batches one worker process checks at once
    batch_max: int = 200  # sources in one host batch at most (the rest wait for a later round)
    heartbeat_seconds: float = 5.0  # how often a worker tells the database it is alive
    stalled_after_seconds: float = 20.0  # a worker silent this long: its batches are retried
    poll_seconds: float = 1.0  # a worker looks for jobs at least this often (besides LISTEN)
    queue: str = "checks"  # the procrastinate queue of host batches


@dataclass(frozen=True)
class Secrets:
    """Credentials from the environment; never printed, logged or stored."""

    lwa_client_id: str = field(default="", repr=False)
    lwa_client_secret: str = field(default="", repr=False)
    refresh_token: str = field(default="", repr=False)
    imap_password: str = field(default="", repr=False)
    dashboard_password: str = field(default="", repr=False)  # HTTP basic auth of `dashboard`
    notify_urls: tuple[str, ...] = field(default=(), repr=False)
    # Where the three LWA credentials were read (an account's own variables); empty: the
    # usual LWA_APP_ID, LWA_CLIENT_SECRET, SP_API_REFRESH_TOKEN. Names only, never values.
    credential_env: tuple[str, ...] = ()

    def __repr__(self) -> str:
        present = [f.name for f in fields(self) if getattr(self, f.name)]
        return f"Secrets(present={present})"


@dataclass(frozen=True)
class ApiSecrets:
    """One API's credentials, read from the environment variables its settings name."""

    values: dict[str, str] = field(default_factory=dict, repr=False)
    missing: tuple[str, ...] = ()  # the environment variables that were not set

    def __repr__(self) -> str:
        return f"ApiSecrets(present={sorted(self.values)}, missing={list(self.missing)})"


@dataclass(frozen=True)
class Settings:
    """Everything configurable, in one frozen value."""

    store: StoreSettings = StoreSettings()
    amazon: AmazonSettings = AmazonSettings()
    suppliers: SupplierSettings = SupplierSettings()
    feeds: dict[str, FeedSettings] = field(default_factory=dict)
    policy: PolicySettings = PolicySettings()
    planner: PlannerSettings = PlannerSettings()
    cancellations: CancellationSettings = CancellationSettings()
    mail: MailSettings = MailSettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    apis: dict[str, ApiSettings] = field(default_factory=dict)
    notify: NotifySettings = NotifySettings()
    display: DisplaySettings = DisplaySettings()
    workers: WorkersSettings = WorkersSettings()
    secrets: Secrets = field(default=Secrets(), repr=False)
    api_secrets: dict[str, ApiSecrets] = field(default_factory=dict, repr=False)
    account_secrets: dict[str, Secrets] = field(default_factory=dict, repr=False)


SECRET_ENV = {
    "lwa_client_id": ("LWA_APP_ID", "STOCKGUARD_LWA_CLIENT_ID"),
    "lwa_client_secret": ("LWA_CLIENT_SECRET", "STOCKGUARD_LWA_CLIENT_SECRET"),
    "refresh_token": ("SP_API_REFRESH_TOKEN", "STOCKGUARD_REFRESH_TOKEN"),
    "imap_password": ("STOCKGUARD_IMAP_PASSWORD",),
    "dashboard_password": ("STOCKGUARD_DASHBOARD_PASSWORD",),
}


def load_settings(path: Path | None = None, *, db: str | None = None) -> Settings:
    """Read the config file (``path``, $STOCKGUARD_CONFIG or ./stockguard.toml) and the env."""
    env = os.environ
    if path is None and env.get(CONFIG_ENV):
        path = Path(env[CONFIG_ENV])
    if path is None and Path("stockguard.toml").exists():
        path = Path("stockguard.toml")
    raw: dict[str, Any] = {}
    if path is not None:
        raw = _read_toml(path)
    if "secrets" in raw:
        raise ConfigError(f"{path}: [secrets] is not allowed in a file; use the environment")
    settings = parse_settings(raw, where=str(path) if path else "config")
    url = db or env.get(DB_ENV) or settings.store.url
    found: dict[str, Any] = {name: _first_env(env, keys) for name, keys in SECRET_ENV.items()}
    secrets = Secrets(**found, notify_urls=notify_urls(settings.notify, env))
    api_secrets = {name: read_api_secrets(name, api, env) for name, api in settings.apis.items()}
    account_secrets = {
        account.name: read_account_secrets(account, env) for account in settings.amazon.accounts
    }
    display = DisplaySettings(
        locale=settings.display.locale or system_locale(env), timezone=settings.display.timezone
    )
    return _replace(
        settings,
        store=StoreSettings(url=database_url(url)),
        secrets=secrets,
        api_secrets=api_secrets,
        account_secrets=account_secrets,
        display=display,
    )


ACCOUNT_CREDENTIALS = ("LWA_CLIENT_ID", "LWA_CLIENT_SECRET", "REFRESH_TOKEN")


def account_env_prefix(account: AccountSettings) -> str:
    """``STOCKGUARD_EXPORT_`` for credentials "export" (default: the account's name)."""
    name = account.credentials or account.name
    return "STOCKGUARD_" + re.sub(r"[^A-Za-z0-9]", "_", name).upper() + "_"


def read_account_secrets(account: AccountSettings, env: Mapping[str, str]) -> Secrets:
    """An account's LWA credentials from its own variables (STOCKGUARD_<PREFIX>_...)."""
    names = tuple(account_env_prefix(account) + key for key in ACCOUNT_CREDENTIALS)
    client_id, client_secret, refresh_token = (env.get(name, "") for name in names)
    return Secrets(
        lwa_client_id=client_id,
        lwa_client_secret=client_secret,
        refresh_token=refresh_token,
        credential_env=names,
    )


def api_credential_names(name: str, api: ApiSettings) -> dict[str, str]:
    """Credential -> environment variable name for API ``name`` (its own, else the defaults)."""
    if api.credentials:
        return dict(api.credentials)
    kind = "amazon" if name.startswith("amazon-") else name
    market = name.removeprefix("amazon-").upper()
    defaults = DEFAULT_API_CREDENTIALS.get(kind, {})
    return {key: var.replace("{MARKET}", market) for key, var in defaults.items()}


def read_api_secrets(
    name: str, api: ApiSettings, env: os._Environ[str] | dict[str, str]
) -> ApiSecrets:
    """The credentials of API ``name`` from the environment (never from a file)."""
    names = api_credential_names(name, api)
    values = {key: env[var] for key, var in names.items() if env.get(var)}
    missing = tuple(var for key, var in names.items() if key not in values)
    return ApiSecrets(values, missing)


def system_locale(env: Mapping[str, str]) -> str:
    """``ja`` when the system locale is Japanese (``ja_JP.UTF-8``), else ``en``."""
    for key in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if env.get(key):
            return "ja" if env[key].lower().startswith("ja") else "en"
    return "en"


_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def notify_urls(settings: NotifySettings, env: Mapping[str, str]) -> tuple[str, ...]:
    """The Apprise URLs with ``${NAME}`` expanded; a missing variable is a ConfigError naming
    the variable and the URL's position, never the URL (it may hold other secrets)."""
    found: list[str] = []
    for index, url in enumerate(settings.urls, start=1):

        def expand(match: re.Match[str], index: int = index) -> str:
            name = match.group(1)
            if not env.get(name):
                raise ConfigError(f"[notify] urls #{index}: environment variable {name} is not set")
            return env[name]

        found.append(_ENV_REF.sub(expand, url))
    if settings.urls_env:
        found += [u for u in re.split(r"[\s,]+", env.get(settings.urls_env, "")) if u]
    return tuple(found)


def database_url(value: str) -> str:
    """A SQLAlchemy URL from a URL or a plain file path (``shop.db`` -> ``sqlite:///shop.db``)."""
    if "://" in value:
        return value
    return f"sqlite:///{value}"


def parse_settings(raw: dict[str, Any], where: str = "config") -> Settings:
    """Build Settings from an already-parsed mapping (used by tests and the demo)."""
    settings: Settings = _build(Settings, raw, where=where)
    return settings


def _first_env(env: os._Environ[str] | dict[str, str], keys: tuple[str, ...]) -> str:
    return next((env[k] for k in keys if env.get(k)), "")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def _replace(settings: Settings, **changes: Any) -> Settings:
    values = {f.name: getattr(settings, f.name) for f in fields(settings)}
    values.update(changes)
    return Settings(**values)


def _build(cls: type[Any], raw: Any, where: str) -> Any:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a table, got {_show(raw)}")
    hints = get_type_hints(cls)
    # secrets: environment only
    known = {f.name for f in fields(cls) if not f.name.endswith("secrets")}
    for key in raw:
        if key not in known:
            raise ConfigError(f"{where}: unknown key {key!r} (known: {', '.join(sorted(known))})")
    values = {key: _convert(hints[key], value, f"{where} {key}") for key, value in raw.items()}
    return cls(**values)


def _convert(hint: Any, value: Any, where: str) -> Any:
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        options = [a for a in get_args(hint) if a is not type(None)]
        return None if value is None else _convert(options[0], value, where)
    if origin is list:
        (inner,) = get_args(hint)
        if not isinstance(value, list):
            raise ConfigError(f"{where}: expected a list, got {_show(value)}")
        return [_convert(inner, v, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        _, inner = get_args(hint)
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a table, got {_show(value)}")
        return {str(k): _convert(inner, v, f"{where}.{k}") for k, v in value.items()}
    if origin is tuple:
        inner = get_args(hint)[0]
        if not isinstance(value, list):
            raise ConfigError(f"{where}: expected a list, got {_show(value)}")
        return tuple(_convert(inner, item, f"{where}[{n}]") for n, item in enumerate(value))
    if is_dataclass(hint):
        return _build(hint, value, f"{where.rsplit(' ', 1)[0]}: [{where.split()[-1]}]")  # type: ignore[arg-type]
    return _scalar(hint, value, where)


def _scalar(hint: Any, value: Any, where: str) -> Any:
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{where}: expected true or false, got {_show(value)}")
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ConfigError(f"{where}: expected a whole number, got {_show(value)}")
    if hint is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise ConfigError(f"{where}: expected a number, got {_show(value)}")
    if hint is str:
        if isinstance(value, str):
            return value
        raise ConfigError(f"{where}: expected a string, got {_show(value)}")
    raise ConfigError(f"{where}: unsupported setting type {hint!r}")


def _show(value: Any) -> str:
    return f"{type(value).__name__} {value!r}"
