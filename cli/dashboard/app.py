"""The dashboard's ASGI app: routes, templates, and the read-only pages.

Every page is rendered on the server from a Jinja2 template (templates/), with no script
and no build step. Handlers are plain functions: Starlette runs them in its thread pool, so a
store query never blocks the event loop. The actions (actions.py) are mounted only when the
dashboard was started with ``--allow-actions``; otherwise their URLs answer 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from stockguard.cancellations.chart import percent, svg_chart
from stockguard.cli.dashboard import facts
from stockguard.cli.dashboard.security import BasicAuth, Csrf
from stockguard.core.accounts import accounts
from stockguard.core.clock import Clock
from stockguard.core.config import Settings
from stockguard.core.i18n import tr, when
from stockguard.sync.status_query import ListingFilter

TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class Dashboard:
    """What every handler needs: the settings, the open store, the clock and the mode."""

    settings: Settings
    db: Engine
    clock: Clock
    allow_actions: bool
    csrf: Csrf


def _share(value: float) -> str:
    return f"{value:.0%}"


def templates() -> Environment:
    """The Jinja2 environment: autoescaped, its strings through the seller's language (the
    catalogue of core.i18n; English where it has no entry), times in the seller's zone."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda text: tr(text), lambda one, many, n: tr(one if n == 1 else many), newstyle=True
    )
    env.filters.update(
        when=lambda moment: when(moment, seconds=True, missing=""), percent=percent, share=_share
    )
    env.globals["chart"] = lambda days, target, title: Markup(svg_chart(days, target, title))
    return env


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page from its template, with the mode every page shows in its header."""
    dash: Dashboard = request.app.state.dashboard
    page = request.app.state.templates.get_template(name).render(
        request=request, allow_actions=dash.allow_actions, **context
    )
    return HTMLResponse(page, status_code=status)


def _dash(request: Request) -> Dashboard:
    found: Dashboard = request.app.state.dashboard
    return found


def overview_page(request: Request) -> HTMLResponse:
    dash = _dash(request)
    now = dash.clock.now()
    return render(
        request,
        "overview.html",
        now=now,
        settings=dash.settings,
        view=facts.overview(dash.db, dash.settings, now),
    )


def listings_page(request: Request) -> HTMLResponse:
    dash, query = _dash(request), request.query_params
    why = query.get("why")
    wanted = ListingFilter(
        search=query.get("q", "").strip(),
        account=query.get("account", ""),
        amazon=query.get("amazon", ""),
        policy=query.get("policy", ""),
        reason=query.get("reason", ""),
        why=None if why in (None, "*") else why,
    )
    raw_offset = query.get("offset", "")
    offset = int(raw_offset) if raw_offset.isdigit() else 0
    page = facts.listings_page(dash.db, wanted, offset)
    several = len(accounts(dash.settings)) > 1  # the account is shown when there are some
    return render(
        request,
        "listings.html",
        page=page,
        wanted=wanted,
        page_size=facts.PAGE_SIZE,
        several=several,
        names=[a.name for a in accounts(dash.settings)],
    )


def listing_page(request: Request) -> HTMLResponse:
    dash = _dash(request)
    sku = request.path_params["sku"]
    market = request.query_params.get("marketplace") or None
    account = request.query_params.get("account") or None
    detail = facts.listing_detail(dash.db, sku, market, dash.clock.now(), account)
    found = detail.listing or detail.in_force or detail.timeline or len(detail.accounts) > 1
    status = 200 if found else 404
    return render(request, "listing.html", status=status, detail=detail)


def hosts_page(request: Request) -> HTMLResponse:
    dash = _dash(request)
    return render(
        request, "hosts.html", hosts=facts.hosts(dash.db, dash.clock.now()), settings=dash.settings
    )


def feeds_page(request: Request) -> HTMLResponse:
    db = _dash(request).db
    return render(
        request, "feeds.html", imports=facts.feed_imports(db), kept=facts.drifted_feeds(db)
    )


def cancellations_page(request: Request) -> HTMLResponse:
    dash = _dash(request)
    view = facts.cancellations(dash.db, dash.settings, dash.clock.now())
    return render(request, "cancellations.html", view=view)


def build_app(dashboard: Dashboard, password: str = "") -> Starlette:
    """The app over ``dashboard``; basic auth on every request when ``password`` is set."""
    from stockguard.cli.dashboard import actions

    routes = [
        Route("/", overview_page),
        Route("/listings", listings_page),
        Route("/listings/{sku:path}", listing_page),
        Route("/hosts", hosts_page),
        Route("/feeds", feeds_page),
        Route("/cancellations", cancellations_page),
        *actions.routes(),
    ]
    middleware = [Middleware(BasicAuth, password=password)] if password else []
    app = Starlette(routes=routes, middleware=middleware)
    app.state.dashboard = dashboard
    app.state.templates = templates()
    return app
