"""The presigned-URL side (what S3 does for Amazon): upload and download documents.

No SP-API token is needed, as with S3. The upload must carry exactly the Content-Type given
to createFeedDocument (it is part of the signature), and a URL is refused after its five
minutes. Errors come back as S3's XML.
"""

from __future__ import annotations

from datetime import UTC, datetime

from stockguard.doubles.emulator.context import EmulatorContext
from stockguard.doubles.emulator.wire import Request, Response


def _s3_error(status: int, code: str, message: str) -> Response:
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
        f"<Message>{message}</Message></Error>"
    )
    return Response(status, raw=body.encode("utf-8"), content_type="application/xml")


def _expired(ctx: EmulatorContext, req: Request) -> Response | None:
    stamp = req.arg("expires")
    if stamp is None or not stamp.isdigit():
        return _s3_error(
            403, "AccessDenied", "Query-string authentication requires the expires parameter."
        )
    if ctx.clock.now() > datetime.fromtimestamp(int(stamp), UTC):
        return _s3_error(403, "AccessDenied", "Request has expired")
    return None


def upload(ctx: EmulatorContext, req: Request) -> Response:
    """PUT /_docs/{docId}: store the document's bytes."""
    doc = ctx.state.documents.get(req.params["docId"])
    if doc is None:
        return _s3_error(404, "NoSuchKey", "The specified key does not exist.")
    refused = _expired(ctx, req)
    if refused:
        return refused
    if req.headers.get("content-type") != doc.content_type:
        return _s3_error(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated "
            "does not match the signature you provided (Content-Type).",
        )
    doc.content = req.body
    return Response(200, raw=b"", content_type="application/xml")


def download(ctx: EmulatorContext, req: Request) -> Response:
    """GET /_docs/{docId}: the document's bytes (gzipped when its compression says so)."""
    doc = ctx.state.documents.get(req.params["docId"])
    if doc is None or doc.content is None:
        return _s3_error(404, "NoSuchKey", "The specified key does not exist.")
    refused = _expired(ctx, req)
    if refused:
        return refused
    content_type = "application/octet-stream" if doc.compression else doc.content_type
    return Response(200, raw=doc.content, content_type=content_type)
