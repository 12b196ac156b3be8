"""The reply a seller pastes when a buyer asks to cancel through the contact form.

Cancelling on a message counts against the seller's cancellation rate, because Amazon cannot
tell who wanted it. The reply asks the buyer to use the official "Cancel items" option
(「注文のキャンセルをリクエスト」) in Your Orders; the request then arrives flagged
``IsBuyerRequestedCancel`` and is cancelled with BuyerCanceled, which is not counted.

Never use this for a stock-out: Amazon forbids asking the buyer to cancel then.
"""

from __future__ import annotations

from dataclasses import dataclass

_ENGLISH = """\
Hello,

Thank you for your message about order {order_id}.

To cancel this order, please request the cancellation through Amazon so that it is
processed correctly:

1. Go to Your Orders (Your Account > Your Orders) on Amazon.
2. Find order {order_id} and choose "Cancel items".
3. Select the item(s), choose a reason and click "Request cancellation".

As soon as your request arrives we will cancel the order, and you will not be charged.
If the order has already shipped, you can request a return from the same page instead.

Kind regards"""

_JAPANESE = """\
お問い合わせいただきありがとうございます。

ご注文番号 {order_id} のキャンセルにつきましては、お手数ですが、Amazon の
「注文履歴」から以下の手順でキャンセルをリクエストしていただけますでしょうか。

1. Amazon の「アカウントサービス」＞「注文履歴」を開きます。
2. ご注文番号 {order_id} の「注文のキャンセルをリクエスト」（「商品をキャンセル」）を選びます。
3. キャンセルする商品と理由を選び、「キャンセルをリクエスト」を押します。

リクエストが届き次第、速やかにキャンセル処理をいたします。代金は請求されません。
すでに発送済みの場合は、同じ画面から返品をリクエストしていただけます。

何卒よろしくお願いいたします。"""


@dataclass(frozen=True)
class CancelRequestReply:
    """The ready-to-paste reply, in English and in Japanese."""

    order_id: str
    english: str
    japanese: str

    def text(self, language: str = "en") -> str:
        """The reply in ``language`` (``en`` or ``ja``); ValueError for anything else."""
        if language == "en":
            return self.english
        if language == "ja":
            return self.japanese
        raise ValueError(f"no reply in language {language!r} (known: en, ja)")


def cancel_request_reply(order_id: str) -> CancelRequestReply:
    """The reply asking the buyer of ``order_id`` to use "Cancel items" in Your Orders."""
    return CancelRequestReply(
        order_id=order_id,
        english=_ENGLISH.format(order_id=order_id),
        japanese=_JAPANESE.format(order_id=order_id),
    )
