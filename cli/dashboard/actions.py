"""The dashboard's actions: apply the cancellation plan, push a quantity, accept a drifted feed.

Each is a GET that shows what will happen and a form (the confirmation, with its CSRF
token), then a POST that does it through the very code the CLI runs — ``apply_planned``
(`cancellations apply`), ``push_quantities`` (`push`) and ``accept_kept_feed`` (`feeds
accept`) — so the one-writer rules of
cli/writer.py hold unchanged: beside `stockguard run` a push is handed over (queued for
the service) and an apply is refused when the service applies cancellations itself; beside
another sending command both are refused, and the page says so in the CLI's words.

Without ``--allow-actions`` every action URL answers 403: the dashboard is read-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from stockguard.cancellations.store.cancellation_plan import CancelState, rows_in
from stockguard.cli.amazon import push_quantities
from stockguard.cli.cancellations import apply_planned
from stockguard.cli.dashboard import facts
from stockguard.cli.dashboard.app import Dashboard, render
from stockguard.cli.dashboard.security import CSRF_COOKIE, CSRF_FIELD
from stockguard.cli.feed_import import accept_kept_feed
from stockguard.cli.writer import Refused
from stockguard.core.errors import StockguardError


def routes() -> list[Route]:
    """The action URLs (always mounted: read-only mode answers them with 403)."""
    return [
        Route("/actions/apply-plan", confirm_apply, methods=["GET"]),
        Route("/actions/apply-plan", do_apply, methods=["POST"]),
        Route("/actions/push", confirm_push, methods=["GET"]),
        Route("/actions/push", do_push, methods=["POST"]),
        Route("/actions/accept-feed", confirm_accept, methods=["GET"]),
        Route("/actions/accept-feed", do_accept, methods=["POST"]),
    ]


def _dash(request: Request) -> Dashboard:
    found: Dashboard = request.app.state.dashboard
    return found


def _read_only(request: Request) -> Response | None:
    if _dash(request).allow_actions:
        return None
    return render(request, "read_only.html", status=403)


def _confirmation(request: Request, name: str, **context: Any) -> Response:
    """A confirmation page, with a fresh CSRF nonce cookie and its token in the form."""
    csrf = _dash(request).csrf
    nonce = csrf.new_nonce()
    page = render(request, name, csrf_field=CSRF_FIELD, csrf_token=csrf.token_for(nonce), **context)
    page.set_cookie(CSRF_COOKIE, nonce, httponly=True, samesite="strict", path="/actions")
    return page


async def _form(request: Request) -> dict[str, str]:
    body = (await request.body()).decode("utf-8", errors="replace")
    return {key: values[-1] for key, values in parse_qs(body).items()}


def _refused_csrf(request: Request, form: dict[str, str]) -> Response | None:
    why = _dash(request).csrf.refusal(request, form.get(CSRF_FIELD, ""))
    return render(request, "action_done.html", status=403, refused=why) if why else None


def confirm_apply(request: Request) -> Response:
    refusal = _read_only(request)
    if refusal is not None:
        return refusal
    planned = rows_in(_dash(request).db, [CancelState.PLANNED])
    return _confirmation(request, "confirm_apply.html", planned=planned)


async def do_apply(request: Request) -> Response:
    refusal = _read_only(request) or _refused_csrf(request, await _form(request))
    if refusal is not None:
        return refusal
    dash = _dash(request)
    try:
        lines, errors, status = apply_planned(dash.settings, dash.clock)
    except Refused as exc:
        return render(request, "action_done.html", status=409, refused=exc.format_message())
    except StockguardError as exc:
        return render(request, "action_done.html", status=502, refused=exc.message)
    # The CLI's exit status 1 (some orders failed) is still an answer: 200, and the page says so.
    return render(request, "action_done.html", lines=lines, errors=errors, exit_status=status)


@dataclass(frozen=True)
class PushTarget:
    """What the push form asks for: a SKU of one seller account (empty: the only one)."""

    sku: str
    marketplace: str
    quantity: int
    account: str


def _push_target(values: dict[str, str]) -> PushTarget | None:
    sku, market = values.get("sku", "").strip(), values.get("marketplace", "").strip()
    quantity = values.get("quantity", "").strip()
    if not sku or not quantity.isdigit():
        return None
    return PushTarget(sku, market, int(quantity), values.get("account", "").strip())


def confirm_push(request: Request) -> Response:
    refusal = _read_only(request)
    if refusal is not None:
        return refusal
    target = _push_target(dict(request.query_params))
    if target is None:
        return render(request, "action_done.html", status=400, bad_input=True)
    return _confirmation(
        request,
        "confirm_push.html",
        sku=target.sku,
        marketplace=target.marketplace,
        quantity=target.quantity,
        account=target.account,
    )


async def do_push(request: Request) -> Response:
    form = await _form(request)
    refusal = _read_only(request) or _refused_csrf(request, form)
    if refusal is not None:
        return refusal
    target = _push_target(form)
    if target is None:
        return render(request, "action_done.html", status=400, bad_input=True)
    dash = _dash(request)
    try:
        lines, status = push_quantities(
            dash.settings,
            dash.clock,
            [target.sku],
            target.quantity,
            target.marketplace or None,
            account=target.account or None,
        )
    except Refused as exc:
        return render(request, "action_done.html", status=409, refused=exc.format_message())
    except StockguardError as exc:
        return render(request, "action_done.html", status=502, refused=exc.message)
    return render(request, "action_done.html", lines=lines, exit_status=status, sku=target.sku)


def confirm_accept(request: Request) -> Response:
    refusal = _read_only(request)
    if refusal is not None:
        return refusal
    supplier = request.query_params.get("supplier", "")
    waiting = facts.drifted_feed(_dash(request).db, supplier)
    if waiting is None:
        return render(request, "action_done.html", status=404, nothing_kept=supplier)
    return _confirmation(request, "confirm_accept.html", waiting=waiting)


async def do_accept(request: Request) -> Response:
    form = await _form(request)
    refusal = _read_only(request) or _refused_csrf(request, form)
    if refusal is not None:
        return refusal
    supplier, import_id = form.get("supplier", ""), form.get("import_id", "")
    if not import_id.isdigit():
        return render(request, "action_done.html", status=400, nothing_kept=supplier)
    dash = _dash(request)
    try:
        done = accept_kept_feed(dash.settings, dash.clock, supplier, int(import_id))
    except Refused as exc:
        return render(request, "action_done.html", status=409, refused=exc.format_message())
    except StockguardError as exc:
        return render(request, "action_done.html", status=400, refused=exc.message)
    return render(
        request,
        "action_done.html",
        lines=done.lines,
        errors=done.errors,
        exit_status=done.status,
        feeds=True,
    )
