"""What customers and staff write: cancellation requests, checkout notes, incident notes."""

CANCEL_MESSAGES = {
    "nb-NO": "Hei! Jeg bestilte feil størrelse, kan dere kansellere ordren? Takk.",
    "en-US": "Hi, I ordered the wrong size by mistake. Could you please cancel my order?",
    "he-IL": "שלום, הזמנתי מידה לא נכונה. אפשר לבטל את ההזמנה בבקשה?",
    "zh-CN": "你好，我下错单了，麻烦帮我取消订单，谢谢。",
}
CHECKOUT_NOTES = {
    "nb-NO": (
        "Kan leveres i postkassen.",
        "Ring på hos naboen om jeg ikke er hjemme.",
        "Gave – ikke legg ved kvittering.",
    ),
    "en-US": (
        "Please leave at the side door.",
        "Gift – please don't include the receipt.",
        "Buzz apartment 4B.",
    ),
    "he-IL": ("נא להשאיר ליד הדלת.", "מתנה – בלי חשבונית בחבילה בבקשה."),
    "zh-CN": ("请放快递柜。", "送人的礼物，请不要放发票。"),
}
# What a buyer writes on a line as a gift (Shopify's line item properties), in their language.
GIFT_MESSAGES = {
    "nb-NO": ("Gratulerer med dagen, Ingrid!", "God jul fra oss alle", "Lykke til på turen!"),
    "en-US": ("Happy birthday, Sam!", "Congratulations on the new job", "Merry Christmas from all of us"),
    "he-IL": ("יום הולדת שמח, נועה!", "מזל טוב על הדירה החדשה"),
    "zh-CN": ("生日快乐！", "新年快乐，万事如意"),
}
RETURN_REASONS = {
    "size": ("size_too_small", "size_too_large"),
    "normal": ("size_too_small", "size_too_large", "not_as_described", "changed_mind", "color"),
    "wardrobe": ("changed_mind", "not_as_described", "style"),
}

# Staff notes about abusive customers: the evidence a person reads, never a label.
ABUSE_INCIDENTS = (
    "{d}: chat with {staff}: customer called the agent 'useless' and 'a thief' over a delivery delay. "
    "Warned once under the zero-tolerance policy.",
    "{d}: email to {staff}: 'I will sue you and post this everywhere' after a refund took six days. "
    "Moved to written channels only.",
    "{d}: phone call with {staff}: shouting and swearing at the agent; call ended by the agent.",
    "{d}: Instagram DM: threatened to 'make sure everyone knows this shop is a scam' unless refunded today.",
    "{d}: email to {staff}: insults about the agent's family after being asked for a photo of the damage.",
)
