"""The notices storeguard ships, per kind and language: a subject and a plain-text body (Jinja2).

The HTML part is made from the body (paragraphs, links, the language's writing direction), so a
merchant edits one text per notice. These are used until the merchant saves a template of their own.
"""

from __future__ import annotations

from types import MappingProxyType

from storeguard.notifications.enums import NoticeKind

K = NoticeKind

_BLOCK = {
    "en": (
        "About your account at {{ shop_name }}",
        """Hello {{ customer_name or "there" }},

{% if action == "block" %}We have stopped new orders from your account at {{ shop_name }}.{% elif action == "verify" %}We will ask for an extra verification step on orders from your account at {{ shop_name }}.{% else %}A person at {{ shop_name }} will check orders from your account before they are sent.{% endif %}

Why: {{ reason }}

If you think we got this wrong, tell us and a person will look at it again:
{{ appeal_url }}

{{ shop_name }}""",
    ),
    "nb": (
        "Om kontoen din hos {{ shop_name }}",
        """Hei{% if customer_name %} {{ customer_name }}{% endif %},

{% if action == "block" %}Vi har stanset nye bestillinger fra kontoen din hos {{ shop_name }}.{% elif action == "verify" %}Vi kommer til å be om en ekstra bekreftelse på bestillinger fra kontoen din hos {{ shop_name }}.{% else %}En person hos {{ shop_name }} vil kontrollere bestillinger fra kontoen din før de sendes.{% endif %}

Hvorfor: {{ reason }}

Hvis du mener at vi har tatt feil, si fra, så ser en person på saken på nytt:
{{ appeal_url }}

{{ shop_name }}""",
    ),
    "he": (
        "בנוגע לחשבון שלך ב-{{ shop_name }}",
        """שלום{% if customer_name %} {{ customer_name }}{% endif %},

{% if action == "block" %}עצרנו הזמנות חדשות מהחשבון שלך ב-{{ shop_name }}.{% elif action == "verify" %}נבקש שלב אימות נוסף בהזמנות מהחשבון שלך ב-{{ shop_name }}.{% else %}אדם מצוות {{ shop_name }} יבדוק הזמנות מהחשבון שלך לפני שליחתן.{% endif %}

הסיבה: {{ reason }}

אם לדעתך טעינו, כתבו לנו ואדם יבדוק את הנושא שוב:
{{ appeal_url }}

{{ shop_name }}""",
    ),
    "zh": (
        "关于您在 {{ shop_name }} 的账户",
        """{% if customer_name %}{{ customer_name }}，{% endif %}您好：

{% if action == "block" %}我们已停止接受您在 {{ shop_name }} 的账户的新订单。{% elif action == "verify" %}您在 {{ shop_name }} 的账户的订单将需要额外的验证步骤。{% else %}{{ shop_name }} 的工作人员将在发货前人工审核您账户的订单。{% endif %}

原因：{{ reason }}

如果您认为我们弄错了，请告诉我们，工作人员会重新审查：
{{ appeal_url }}

{{ shop_name }}""",
    ),
}

_CONDUCT = {
    "en": (
        "A word about how we talk to each other at {{ shop_name }}",
        """Hello {{ customer_name or "there" }},

We want to help you, and we will. But we do not accept this in messages to our team: {{ reason }}

Please keep to the point in your next messages. If it happens again we will only answer by email and may stop taking orders from you.
{% if case_reference %}
Your case: {{ case_reference }}{% endif %}

{{ shop_name }}""",
    ),
    "nb": (
        "Et ord om hvordan vi snakker sammen hos {{ shop_name }}",
        """Hei{% if customer_name %} {{ customer_name }}{% endif %},

Vi vil hjelpe deg, og det skal vi gjøre. Men dette godtar vi ikke i meldinger til teamet vårt: {{ reason }}

Hold deg til saken i de neste meldingene. Skjer det igjen, svarer vi bare på e-post og kan slutte å ta imot bestillinger fra deg.
{% if case_reference %}
Saken din: {{ case_reference }}{% endif %}

{{ shop_name }}""",
    ),
    "he": (
        "מילה על האופן שבו אנחנו מדברים זה עם זה ב-{{ shop_name }}",
        """שלום{% if customer_name %} {{ customer_name }}{% endif %},

אנחנו רוצים לעזור לך, ונעשה זאת. אבל איננו מקבלים את זה בהודעות לצוות שלנו: {{ reason }}

נבקש להישאר ענייניים בהודעות הבאות. אם זה יקרה שוב, נענה רק בדוא"ל וייתכן שנפסיק לקבל ממך הזמנות.
{% if case_reference %}
הפנייה שלך: {{ case_reference }}{% endif %}

{{ shop_name }}""",
    ),
    "zh": (
        "关于在 {{ shop_name }} 的沟通方式",
        """{% if customer_name %}{{ customer_name }}，{% endif %}您好：

我们愿意帮助您，也一定会帮助您。但我们不接受发给团队的消息中出现以下内容：{{ reason }}

请在之后的消息中就事论事。如果再次发生，我们将只通过电子邮件回复，并可能停止接受您的订单。
{% if case_reference %}
您的工单：{{ case_reference }}{% endif %}

{{ shop_name }}""",
    ),
}

_CANCELLED = {
    "en": (
        "Your order {{ order_number }} at {{ shop_name }} is cancelled",
        """Hello {{ customer_name or "there" }},

We have cancelled your order {{ order_number }}.
{% if refund_amount %}
We are refunding {{ refund_amount }}. It should reach your account between {{ arrival_from }} and {{ arrival_to }}.
{% endif %}
{{ shop_name }}""",
    ),
    "nb": (
        "Bestillingen din {{ order_number }} hos {{ shop_name }} er kansellert",
        """Hei{% if customer_name %} {{ customer_name }}{% endif %},

Vi har kansellert bestillingen din {{ order_number }}.
{% if refund_amount %}
Vi refunderer {{ refund_amount }}. Pengene skal være på kontoen din mellom {{ arrival_from }} og {{ arrival_to }}.
{% endif %}
{{ shop_name }}""",
    ),
    "he": (
        "ההזמנה שלך {{ order_number }} ב-{{ shop_name }} בוטלה",
        """שלום{% if customer_name %} {{ customer_name }}{% endif %},

ביטלנו את ההזמנה שלך {{ order_number }}.
{% if refund_amount %}
אנחנו מחזירים לך {{ refund_amount }}. הכסף אמור להגיע לחשבונך בין {{ arrival_from }} ל-{{ arrival_to }}.
{% endif %}
{{ shop_name }}""",
    ),
    "zh": (
        "您在 {{ shop_name }} 的订单 {{ order_number }} 已取消",
        """{% if customer_name %}{{ customer_name }}，{% endif %}您好：

我们已取消您的订单 {{ order_number }}。
{% if refund_amount %}
我们将退款 {{ refund_amount }}，款项预计在 {{ arrival_from }} 至 {{ arrival_to }} 之间到账。
{% endif %}
{{ shop_name }}""",
    ),
}

_REFUNDED = {
    "en": (
        "Your refund for order {{ order_number }}",
        """Hello {{ customer_name or "there" }},

We have refunded {{ refund_amount }} for your order {{ order_number }}. It should reach your account between {{ arrival_from }} and {{ arrival_to }}, depending on your bank.

{{ shop_name }}""",
    ),
    "nb": (
        "Refusjonen for bestilling {{ order_number }}",
        """Hei{% if customer_name %} {{ customer_name }}{% endif %},

Vi har refundert {{ refund_amount }} for bestillingen din {{ order_number }}. Pengene skal være på kontoen din mellom {{ arrival_from }} og {{ arrival_to }}, avhengig av banken din.

{{ shop_name }}""",
    ),
    "he": (
        "ההחזר עבור הזמנה {{ order_number }}",
        """שלום{% if customer_name %} {{ customer_name }}{% endif %},

החזרנו {{ refund_amount }} עבור ההזמנה שלך {{ order_number }}. הכסף אמור להגיע לחשבונך בין {{ arrival_from }} ל-{{ arrival_to }}, בהתאם לבנק שלך.

{{ shop_name }}""",
    ),
    "zh": (
        "订单 {{ order_number }} 的退款",
        """{% if customer_name %}{{ customer_name }}，{% endif %}您好：

我们已为您的订单 {{ order_number }} 退款 {{ refund_amount }}。视您的银行而定，款项预计在 {{ arrival_from }} 至 {{ arrival_to }} 之间到账。

{{ shop_name }}""",
    ),
}

_DECLINED = {
    "en": (
        "About cancelling order {{ order_number }}",
        """Hello {{ customer_name or "there" }},

We could not cancel your order {{ order_number }}.{% if staff_note %}

{{ staff_note }}{% endif %}

{{ shop_name }}""",
    ),
    "nb": (
        "Om kansellering av bestilling {{ order_number }}",
        """Hei{% if customer_name %} {{ customer_name }}{% endif %},

Vi kunne ikke kansellere bestillingen din {{ order_number }}.{% if staff_note %}

{{ staff_note }}{% endif %}

{{ shop_name }}""",
    ),
    "he": (
        "בנוגע לביטול הזמנה {{ order_number }}",
        """שלום{% if customer_name %} {{ customer_name }}{% endif %},

לא יכולנו לבטל את ההזמנה שלך {{ order_number }}.{% if staff_note %}

{{ staff_note }}{% endif %}

{{ shop_name }}""",
    ),
    "zh": (
        "关于取消订单 {{ order_number }}",
        """{% if customer_name %}{{ customer_name }}，{% endif %}您好：

我们无法取消您的订单 {{ order_number }}。{% if staff_note %}

{{ staff_note }}{% endif %}

{{ shop_name }}""",
    ),
}

_RETURN = {
    "en": (
        "Your return {{ return_reference }} is approved",
        """Hello {{ customer_name or "there" }},

You can send back the goods from order {{ order_number }}. Your return: {{ return_reference }}.{% if instructions %}

{{ instructions }}{% endif %}

{{ shop_name }}""",
    ),
    "nb": (
        "Returen din {{ return_reference }} er godkjent",
        """Hei{% if customer_name %} {{ customer_name }}{% endif %},

Du kan sende tilbake varene fra bestilling {{ order_number }}. Returen din: {{ return_reference }}.{% if instructions %}

{{ instructions }}{% endif %}

{{ shop_name }}""",
    ),
    "he": (
        "ההחזרה שלך {{ return_reference }} אושרה",
        """שלום{% if customer_name %} {{ customer_name }}{% endif %},

אפשר לשלוח בחזרה את הפריטים מהזמנה {{ order_number }}. ההחזרה שלך: {{ return_reference }}.{% if instructions %}

{{ instructions }}{% endif %}

{{ shop_name }}""",
    ),
    "zh": (
        "您的退货 {{ return_reference }} 已获批准",
        """{% if customer_name %}{{ customer_name }}，{% endif %}您好：

您可以退回订单 {{ order_number }} 中的商品。退货编号：{{ return_reference }}。{% if instructions %}

{{ instructions }}{% endif %}

{{ shop_name }}""",
    ),
}

_APPEAL_RECEIVED = {
    "en": (
        "We received your request at {{ shop_name }}",
        """Hello {{ customer_name or "there" }},

Thank you for writing to us. A person who did not make the first decision will look at your request and answer by {{ answer_by }}.

You can see the answer here once it is ready:
{{ appeal_url }}

{{ shop_name }}""",
    ),
    "nb": (
        "Vi har mottatt henvendelsen din hos {{ shop_name }}",
        """Hei{% if customer_name %} {{ customer_name }}{% endif %},

Takk for at du skrev til oss. En person som ikke tok den første avgjørelsen, ser på saken din og svarer innen {{ answer_by }}.

Du ser svaret her når det er klart:
{{ appeal_url }}

{{ shop_name }}""",
    ),
    "he": (
        "קיבלנו את הבקשה שלך ב-{{ shop_name }}",
        """שלום{% if customer_name %} {{ customer_name }}{% endif %},

תודה שכתבת לנו. אדם שלא קיבל את ההחלטה הראשונה יבדוק את הבקשה שלך וישיב עד {{ answer_by }}.

אפשר לראות את התשובה כאן כשתהיה מוכנה:
{{ appeal_url }}

{{ shop_name }}""",
    ),
    "zh": (
        "我们已收到您在 {{ shop_name }} 的申诉",
        """{% if customer_name %}{{ customer_name }}，{% endif %}您好：

感谢您的来信。一位未参与最初决定的工作人员将审查您的申诉，并在 {{ answer_by }} 之前答复。

答复完成后，您可以在此查看：
{{ appeal_url }}

{{ shop_name }}""",
    ),
}

_APPEAL_DECIDED = {
    "en": (
        "The answer to your request at {{ shop_name }}",
        """Hello {{ customer_name or "there" }},

A person at {{ shop_name }} has looked at your request again.

{{ decision_words }}{% if note %}

{{ note }}{% endif %}

{{ appeal_url }}

{{ shop_name }}""",
    ),
    "nb": (
        "Svar på henvendelsen din hos {{ shop_name }}",
        """Hei{% if customer_name %} {{ customer_name }}{% endif %},

En person hos {{ shop_name }} har sett på saken din på nytt.

{{ decision_words }}{% if note %}

{{ note }}{% endif %}

{{ appeal_url }}

{{ shop_name }}""",
    ),
    "he": (
        "התשובה לבקשה שלך ב-{{ shop_name }}",
        """שלום{% if customer_name %} {{ customer_name }}{% endif %},

אדם מצוות {{ shop_name }} בדק שוב את הבקשה שלך.

{{ decision_words }}{% if note %}

{{ note }}{% endif %}

{{ appeal_url }}

{{ shop_name }}""",
    ),
    "zh": (
        "关于您在 {{ shop_name }} 的申诉的答复",
        """{% if customer_name %}{{ customer_name }}，{% endif %}您好：

{{ shop_name }} 的工作人员已重新审查了您的申诉。

{{ decision_words }}{% if note %}

{{ note }}{% endif %}

{{ appeal_url }}

{{ shop_name }}""",
    ),
}

_DISPUTE = {
    "en": (
        "About the payment dispute on order {{ order_number }}",
        """Hello {{ customer_name or "there" }},

{{ message }}

{{ shop_name }}""",
    ),
    "nb": (
        "Om betalingsinnsigelsen på bestilling {{ order_number }}",
        """Hei{% if customer_name %} {{ customer_name }}{% endif %},

{{ message }}

{{ shop_name }}""",
    ),
    "he": (
        "בנוגע להכחשת התשלום בהזמנה {{ order_number }}",
        """שלום{% if customer_name %} {{ customer_name }}{% endif %},

{{ message }}

{{ shop_name }}""",
    ),
    "zh": (
        "关于订单 {{ order_number }} 的付款争议",
        """{% if customer_name %}{{ customer_name }}，{% endif %}您好：

{{ message }}

{{ shop_name }}""",
    ),
}

DEFAULTS: MappingProxyType[NoticeKind, dict[str, tuple[str, str]]] = MappingProxyType(
    {
        K.block_notice: _BLOCK,
        K.conduct_warning: _CONDUCT,
        K.order_cancelled: _CANCELLED,
        K.order_refunded: _REFUNDED,
        K.cancellation_request_declined: _DECLINED,
        K.return_authorized: _RETURN,
        K.appeal_received: _APPEAL_RECEIVED,
        K.appeal_decided: _APPEAL_DECIDED,
        K.dispute_message: _DISPUTE,
    }
)
