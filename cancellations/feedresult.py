"""Reading an order-acknowledgement feed's outcome: which orders Amazon refused, and why.

The gateway keys the ProcessingReport's errors by AmazonOrderID. A Result that names only its
MessageID is mapped back to the order through the feed's MessageID table; a feed that did not
end DONE (FATAL, CANCELLED) or a report rejected as a whole fails every order in it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from stockguard.cancellations.ackfeed import parse_processing_report
from stockguard.core.amazon.results import FeedResult


def order_errors(
    answer: FeedResult, message_ids: Mapping[int, str], order_ids: Sequence[str]
) -> dict[str, str]:
    """Order id -> error text for every order of the feed that was not cancelled."""
    if answer.status != "DONE":
        why = f"feed {answer.feed_id} ended {answer.status}"
        return dict.fromkeys(order_ids, why)
    found: dict[str, list[str]] = {}
    for key, issues in answer.errors_by_key.items():
        for issue in issues:
            if issue.severity == "ERROR":
                found.setdefault(key, []).append(_text(issue.code, issue.message))
    report = answer.report if isinstance(answer.report, str) else ""
    for result in parse_processing_report(report) if report else []:
        order_id = result.order_id or (
            message_ids.get(result.message_id) if result.message_id is not None else None
        )
        if result.code != "Error":
            continue
        text = _text(result.message_code, result.description)
        if order_id is None:  # an error about the whole feed
            for each in order_ids:
                found.setdefault(each, []).append(text)
        elif text not in found.get(order_id, []):
            found.setdefault(order_id, []).append(text)
    return {k: "; ".join(v) for k, v in found.items() if k in set(order_ids)}


def _text(code: str, message: str) -> str:
    return f"{code}: {message}" if code else message
