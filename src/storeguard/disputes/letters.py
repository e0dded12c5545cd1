"""Rebuttal letters: one per normalized reason and language, the merchant's own text or the built-in one.

A template names facts in braces ({order_number}); a fact the records do not hold is left blank,
and an unknown name is kept as written so the merchant sees it in the preview.
"""

from __future__ import annotations

import string
from typing import Any

from storeguard.disputes.enums import DisputeReason

LANGUAGES = ("en", "nb", "he", "zh")

_OPENING = {
    "en": "Dispute {dispute_reference} – order {order_number} of {order_date}, {amount}.\n\n"
    "{merchant} contests this dispute. The customer {customer_name} ({customer_email}) placed the order.",
    "nb": "Tvist {dispute_reference} – ordre {order_number} av {order_date}, {amount}.\n\n"
    "{merchant} bestrider denne tvisten. Kunden {customer_name} ({customer_email}) la inn bestillingen.",
    "he": "מחלוקת {dispute_reference} – הזמנה {order_number} מתאריך {order_date}, {amount}.\n\n"
    "{merchant} מערערת על מחלוקת זו. הלקוח {customer_name} ({customer_email}) ביצע את ההזמנה.",
    "zh": "争议 {dispute_reference} – 订单 {order_number}（{order_date}），{amount}。\n\n"
    "{merchant} 对此争议提出异议。订单由客户 {customer_name}（{customer_email}）下单。",
}

_BODY: dict[DisputeReason, dict[str, str]] = {
    DisputeReason.fraud: {
        "en": "The purchase was made from IP address {purchase_ip}. {prior_orders_summary}",
        "nb": "Kjøpet ble gjort fra IP-adressen {purchase_ip}. {prior_orders_summary}",
        "he": "הרכישה בוצעה מכתובת IP {purchase_ip}. {prior_orders_summary}",
        "zh": "此次购买来自 IP 地址 {purchase_ip}。{prior_orders_summary}",
    },
    DisputeReason.not_received: {
        "en": "The order was sent with {carrier}, tracking number {tracking_number}, and delivered on {delivered_on}.",
        "nb": "Ordren ble sendt med {carrier}, sporingsnummer {tracking_number}, og levert {delivered_on}.",
        "he": "ההזמנה נשלחה באמצעות {carrier}, מספר מעקב {tracking_number}, ונמסרה בתאריך {delivered_on}.",
        "zh": "订单已通过 {carrier} 发出，运单号 {tracking_number}，于 {delivered_on} 送达。",
    },
    DisputeReason.not_as_described: {
        "en": "The goods were as described on the order. Our return policy ({policy_version}) "
        "was accepted at purchase, and the customer did not return the goods under it.",
        "nb": "Varene var som beskrevet i bestillingen. Returvilkårene våre ({policy_version}) "
        "ble godtatt ved kjøpet, og kunden returnerte ikke varene etter dem.",
        "he": "המוצרים תאמו את התיאור בהזמנה. מדיניות ההחזרות שלנו ({policy_version}) "
        "אושרה בעת הרכישה, והלקוח לא החזיר את המוצרים לפיה.",
        "zh": "商品与订单描述一致。客户在购买时已接受我们的退货政策（{policy_version}），且未按政策退回商品。",
    },
    DisputeReason.duplicate: {
        "en": "The customer was charged once for this order; every other charge belongs to a different order.",
        "nb": "Kunden ble belastet én gang for denne ordren; andre belastninger gjelder andre ordrer.",
        "he": "הלקוח חויב פעם אחת עבור הזמנה זו; כל חיוב אחר שייך להזמנה אחרת.",
        "zh": "此订单仅向客户收费一次；其他所有收费均属于其他订单。",
    },
    DisputeReason.credit_not_processed: {
        "en": "Refunds already made: {refunds_summary}. Our refund policy ({policy_version}) was accepted at purchase.",
        "nb": "Refusjoner som er gjort: {refunds_summary}. Refusjonsvilkårene våre ({policy_version}) ble godtatt ved kjøpet.",
        "he": "החזרים שכבר בוצעו: {refunds_summary}. מדיניות ההחזרים שלנו ({policy_version}) אושרה בעת הרכישה.",
        "zh": "已完成的退款：{refunds_summary}。客户在购买时已接受我们的退款政策（{policy_version}）。",
    },
    DisputeReason.subscription: {
        "en": "The customer did not cancel before this charge. Our cancellation policy ({policy_version}) was accepted at purchase.",
        "nb": "Kunden sa ikke opp før denne belastningen. Oppsigelsesvilkårene våre ({policy_version}) ble godtatt ved kjøpet.",
        "he": "הלקוח לא ביטל לפני חיוב זה. מדיניות הביטול שלנו ({policy_version}) אושרה בעת הרכישה.",
        "zh": "客户在此次收费前未取消。客户在购买时已接受我们的取消政策（{policy_version}）。",
    },
    DisputeReason.other: {
        "en": "The enclosed records show the order as placed, paid and fulfilled.",
        "nb": "Vedlagte dokumentasjon viser at ordren ble lagt inn, betalt og levert.",
        "he": "המסמכים המצורפים מראים שההזמנה בוצעה, שולמה וסופקה.",
        "zh": "随附记录显示该订单已下单、付款并完成履约。",
    },
}

_CLOSING = {
    "en": "The evidence index below lists every enclosed document. We ask that the dispute be decided in our favour.",
    "nb": "Bevisoversikten nedenfor viser alle vedlagte dokumenter. Vi ber om at tvisten avgjøres i vår favør.",
    "he": "רשימת הראיות שלהלן מפרטת כל מסמך מצורף. אנו מבקשים שהמחלוקת תוכרע לטובתנו.",
    "zh": "以下证据索引列出了所有随附文件。我们请求以对我方有利的方式裁决此争议。",
}


def builtin_template(reason: DisputeReason, language: str) -> str:
    """The letter storeguard writes for a reason in a language (English for one it does not know)."""
    lang = language if language in LANGUAGES else "en"
    return "\n\n".join((_OPENING[lang], _BODY[reason][lang], _CLOSING[lang]))


class _PlainNames(string.Formatter):
    """Only plain names: a template written by staff may not reach attributes, items or widths."""

    def get_field(self, field_name: str, args: Any, kwargs: Any) -> tuple[Any, str]:
        if field_name.isidentifier() and field_name in kwargs:
            return kwargs[field_name], field_name
        return "{" + field_name + "}", field_name

    def format_field(self, value: Any, format_spec: str) -> str:
        return str(value)


def render_letter(template: str, facts: dict[str, Any]) -> str:
    """Fill a template with the dispute's facts; a blank fact reads as a dash."""
    values = {k: ("–" if v in (None, "") else v) for k, v in facts.items()}
    try:
        return _PlainNames().vformat(template, (), values)
    except (ValueError, IndexError):
        return template  # unbalanced braces: shown as written, for the merchant to fix


def letter_language(customer_locale: str | None) -> str:
    """The language of the letter for a customer: theirs when storeguard writes it, else English."""
    lang = (customer_locale or "en").split("-")[0].split("_")[0].lower()
    return lang if lang in LANGUAGES else "en"
