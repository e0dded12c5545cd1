"""What Nordlys Outfitters sells and where its customers live: the demo's reference data.

Prices are in NOK (kroner, two decimals) and include Norwegian VAT, as a Norwegian shop shows them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

APPAREL_SIZES = ["XS", "S", "M", "L", "XL"]
SHOE_SIZES = ["38", "39", "40", "41", "42", "43", "44", "45", "46"]


@dataclass(frozen=True)
class CatalogueItem:
    sku: str
    title: str
    category: str
    price_nok: int  # whole kroner; the generator turns them into øre
    tags: tuple[str, ...] = ()
    options: dict[str, list[str]] = field(default_factory=dict)
    high_value: bool = False
    limited_edition: bool = False
    wardrobe_target: bool = False  # worn once for an occasion and sent back
    stock_on_hand: int = 60  # what is left on the shelf today


def _apparel(
    sku: str, title: str, price: int, colours: list[str], tags: tuple[str, ...] = (), **kw
) -> CatalogueItem:
    return CatalogueItem(sku, title, "apparel", price, tags, {"size": APPAREL_SIZES, "color": colours}, **kw)


CATALOGUE: tuple[CatalogueItem, ...] = (
    # Apparel: sizes XS–XL and a few colours, where bracketing and size returns happen.
    _apparel(
        "NL-MER-CREW",
        "Merino Base Layer Crew",
        899,
        ["Black", "Heather Grey", "Forest Green"],
        ("merino", "base-layer", "bestseller"),
    ),
    _apparel(
        "NL-MER-LEG", "Merino Base Layer Leggings", 849, ["Black", "Heather Grey"], ("merino", "base-layer")
    ),
    _apparel(
        "NL-FJORD-RAIN",
        "Fjord Rain Jacket",
        2799,
        ["Navy", "Signal Orange", "Black"],
        ("outerwear", "waterproof", "bestseller"),
    ),
    _apparel(
        "NL-LOF-DOWN",
        "Lofoten Down Jacket",
        3999,
        ["Black", "Deep Red", "Glacier Blue"],
        ("outerwear", "winter"),
        wardrobe_target=True,
    ),
    _apparel("NL-SOFT-PANT", "Softshell Hiking Pants", 1299, ["Black", "Olive", "Stone"], ("hiking",)),
    _apparel(
        "NL-SETE-KNIT",
        "Setesdal Wool Sweater",
        1899,
        ["Navy/White", "Red/White", "Charcoal"],
        ("wool", "knit", "winter"),
    ),
    _apparel(
        "NL-ORG-TEE",
        "Organic Cotton Tee",
        349,
        ["White", "Black", "Sand", "Ocean Blue"],
        ("cotton", "summer", "bestseller"),
    ),
    _apparel("NL-FLC-HZIP", "Polar Fleece Half-Zip", 999, ["Navy", "Moss", "Black"], ("fleece",)),
    _apparel("NL-TRAIL-SHORT", "Trail Running Shorts", 549, ["Black", "Graphite"], ("running", "summer")),
    _apparel("NL-INS-VEST", "Insulated Vest", 1499, ["Black", "Navy"], ("outerwear",)),
    _apparel("NL-LIN-SHIRT", "Linen Summer Shirt", 799, ["White", "Sky", "Sand"], ("summer",)),
    _apparel(
        "NL-WRAP-DRESS",
        "Evening Wrap Dress",
        1699,
        ["Midnight", "Bordeaux", "Emerald"],
        ("occasion",),
        wardrobe_target=True,
    ),
    _apparel(
        "NL-WOOL-COAT",
        "Tailored Wool Coat",
        3499,
        ["Camel", "Charcoal"],
        ("occasion", "winter"),
        wardrobe_target=True,
    ),
    _apparel(
        "NL-LOGO-HOOD",
        "Nordlys Logo Hoodie",
        749,
        ["Black", "Heather Grey", "Aurora Green"],
        ("cotton", "gift"),
    ),
    _apparel("NL-SKI-SHELL", "Ski Shell Pants", 2299, ["Black", "Navy"], ("ski", "winter", "waterproof")),
    _apparel(
        "NL-CASH-SCARF",
        "Cashmere Blend Scarf",
        999,
        ["Camel", "Grey", "Navy"],
        ("gift", "winter"),
        wardrobe_target=True,
    ),
    # Electronics: few units, high value, the first thing fraudsters and chargeback abusers pick.
    CatalogueItem(
        "NL-EL-WATCH",
        "Aurora GPS Sports Watch",
        "electronics",
        4499,
        ("gps", "wearable"),
        high_value=True,
        stock_on_hand=25,
    ),
    CatalogueItem(
        "NL-EL-NC700",
        "NC700 Noise-Cancelling Headphones",
        "electronics",
        3990,
        ("audio",),
        {"color": ["Black", "Silver"]},
        high_value=True,
        stock_on_hand=30,
    ),
    CatalogueItem(
        "NL-EL-CAM4K",
        "Trail 4K Action Camera",
        "electronics",
        3290,
        ("camera",),
        high_value=True,
        stock_on_hand=20,
    ),
    CatalogueItem(
        "NL-EL-SATMSG",
        "Satellite Messenger",
        "electronics",
        3799,
        ("safety", "gps"),
        high_value=True,
        stock_on_hand=15,
    ),
    CatalogueItem(
        "NL-EL-GOGGLE",
        "Smart Ski Goggles HUD",
        "electronics",
        5490,
        ("ski", "wearable"),
        high_value=True,
        stock_on_hand=10,
    ),
    CatalogueItem(
        "NL-EL-SOLAR",
        "Portable Power Station 500",
        "electronics",
        6990,
        ("camping",),
        high_value=True,
        stock_on_hand=8,
    ),
    # Limited editions: numbered drops with little stock.
    CatalogueItem(
        "NL-LTD-SNEAK",
        "Nordlys x Aurora Sneaker — Limited",
        "footwear",
        2800,
        ("limited", "collab"),
        {"size": SHOE_SIZES},
        limited_edition=True,
        stock_on_hand=6,
    ),
    _apparel(
        "NL-LTD-ANORAK",
        "Midnight Sun Anorak — 2025 Drop",
        3200,
        ["Midnight Sun Yellow"],
        ("limited", "outerwear"),
        limited_edition=True,
        stock_on_hand=4,
    ),
    _apparel(
        "NL-LTD-MARIUS",
        "Hand-knitted Marius Sweater — Artist Edition",
        2950,
        ["Navy/Red/White"],
        ("limited", "wool", "knit"),
        limited_edition=True,
        stock_on_hand=3,
    ),
    _apparel(
        "NL-LTD-PARKA",
        "Polar Expedition Parka — Numbered Edition",
        7990,
        ["Expedition Red"],
        ("limited", "outerwear", "winter"),
        limited_edition=True,
        high_value=True,
        stock_on_hand=2,
    ),
    CatalogueItem(
        "NL-LTD-BEANIE",
        "Aurora Drop Wool Beanie",
        "accessories",
        499,
        ("limited", "wool"),
        {"color": ["Aurora Green", "Night Blue"]},
        limited_edition=True,
        stock_on_hand=12,
    ),
    # Accessories: small baskets, the low-value refund abuser's favourite.
    CatalogueItem(
        "NL-AC-BEANIE",
        "Merino Beanie",
        "accessories",
        299,
        ("merino", "gift"),
        {"color": ["Black", "Grey", "Red"]},
    ),
    CatalogueItem(
        "NL-AC-GLOVE",
        "Leather Touchscreen Gloves",
        "accessories",
        699,
        ("gift", "winter"),
        {"size": ["S", "M", "L"]},
    ),
    CatalogueItem("NL-AC-BUFF", "Merino Neck Gaiter", "accessories", 249, ("merino",)),
    CatalogueItem(
        "NL-AC-PACK28", "Hiking Backpack 28 L", "accessories", 1499, ("hiking",), {"color": ["Black", "Moss"]}
    ),
    CatalogueItem("NL-AC-BOTTLE", "Insulated Steel Bottle 750 ml", "accessories", 399, ("hiking", "gift")),
    CatalogueItem(
        "NL-AC-SUNGL",
        "Polarized Glacier Sunglasses",
        "accessories",
        1199,
        ("ski", "summer"),
        wardrobe_target=True,
    ),
    CatalogueItem(
        "NL-AC-SOCKS",
        "Thermal Wool Socks 3-pack",
        "accessories",
        299,
        ("wool", "winter"),
        {"size": ["36-38", "39-42", "43-46"]},
    ),
    CatalogueItem("NL-AC-LAMP", "Rechargeable Headlamp", "accessories", 449, ("hiking", "safety")),
    CatalogueItem("NL-AC-DRYBAG", "Dry Bag 20 L", "accessories", 349, ("kayak", "waterproof")),
    CatalogueItem("NL-AC-REFLEX", "Reflective Safety Vest", "accessories", 199, ("safety",)),
    CatalogueItem("NL-AC-BELT", "Leather Belt", "accessories", 599, ("gift",), {"size": ["S", "M", "L"]}),
    CatalogueItem("NL-AC-TOTE", "Canvas Tote", "accessories", 249, ("cotton", "gift")),
    CatalogueItem("NL-AC-BATT", "Heated Jacket Battery Pack", "accessories", 1190, ("winter",)),
)


@dataclass(frozen=True)
class City:
    name: str
    zip_prefix: str  # the generator adds digits up to the country's zip length
    zip_len: int
    province: str = ""


# Real cities with real postcode prefixes, so addresses read right to the people in each country.
CITIES: dict[str, tuple[City, ...]] = {
    "NO": (
        City("Oslo", "0", 4),
        City("Oslo", "1", 4),
        City("Bergen", "50", 4),
        City("Trondheim", "70", 4),
        City("Stavanger", "40", 4),
        City("Tromsø", "90", 4),
        City("Kristiansand", "46", 4),
        City("Drammen", "30", 4),
        City("Fredrikstad", "16", 4),
        City("Bodø", "80", 4),
        City("Ålesund", "60", 4),
        City("Lillehammer", "26", 4),
    ),
    "US": (
        City("New York", "100", 5, "NY"),
        City("Brooklyn", "112", 5, "NY"),
        City("San Francisco", "941", 5, "CA"),
        City("Seattle", "981", 5, "WA"),
        City("Minneapolis", "554", 5, "MN"),
        City("Chicago", "606", 5, "IL"),
        City("Austin", "787", 5, "TX"),
        City("Denver", "802", 5, "CO"),
        City("Boston", "021", 5, "MA"),
        City("Portland", "972", 5, "OR"),
        City("Madison", "537", 5, "WI"),
    ),
    "IL": (
        City("תל אביב-יפו", "61", 7),
        City("ירושלים", "91", 7),
        City("חיפה", "31", 7),
        City("רעננה", "43", 7),
        City("באר שבע", "84", 7),
        City("הרצליה", "46", 7),
        City("נתניה", "42", 7),
    ),
    "CN": (
        City("北京市", "100", 6, "北京市"),
        City("上海市", "200", 6, "上海市"),
        City("广州市", "510", 6, "广东省"),
        City("深圳市", "518", 6, "广东省"),
        City("杭州市", "310", 6, "浙江省"),
        City("成都市", "610", 6, "四川省"),
        City("南京市", "210", 6, "江苏省"),
    ),
}

# Home ISP address blocks per country (first two octets), so a GeoIP lookup places customers right.
IP_BLOCKS: dict[str, tuple[tuple[int, int], ...]] = {
    "NO": ((84, 208), (84, 212), (46, 212), (46, 15), (88, 88), (193, 69), (81, 166)),
    "US": ((73, 15), (73, 162), (98, 207), (24, 18), (71, 190), (68, 36), (76, 102)),
    "IL": ((79, 176), (79, 180), (84, 94), (109, 64), (37, 142)),
    "CN": ((112, 64), (117, 136), (183, 14), (222, 128), (123, 120)),
}
# Datacenter / VPN exits some abusers order from.
VPN_BLOCKS: tuple[tuple[int, int], ...] = ((185, 220), (45, 83), (193, 32), (104, 244))

EMAIL_DOMAINS: dict[str, tuple[str, ...]] = {
    "NO": ("gmail.com", "gmail.com", "hotmail.com", "online.no", "outlook.com", "icloud.com", "yahoo.no"),
    "US": ("gmail.com", "gmail.com", "yahoo.com", "outlook.com", "icloud.com", "aol.com", "hotmail.com"),
    "IL": ("gmail.com", "gmail.com", "walla.co.il", "hotmail.com", "012.net.il"),
    "CN": ("qq.com", "qq.com", "163.com", "126.com", "gmail.com", "sina.com"),
}
# Throwaway domains an evader registers the new account with.
DISPOSABLE_DOMAINS: tuple[str, ...] = (
    "mailinator.com",
    "guerrillamail.com",
    "10minutemail.com",
    "yopmail.com",
)

# Shipping from Oslo: Bring (Posten) at home, Bring/PostNord to the Nordics, DHL and UPS abroad.
DOMESTIC_CARRIERS: tuple[str, ...] = ("Bring", "Bring", "PostNord")
INTERNATIONAL_CARRIERS: tuple[str, ...] = ("DHL Express", "UPS", "DHL Express")
TRACKING_URLS: dict[str, str] = {
    "Bring": "https://sporing.bring.no/sporing/{n}",
    "PostNord": "https://tracking.postnord.com/no/?id={n}",
    "DHL Express": "https://www.dhl.com/no-en/home/tracking.html?tracking-id={n}",
    "UPS": "https://www.ups.com/track?tracknum={n}",
}

STAFF = ("Ingrid Solberg", "Magnus Haugen", "Sara Lind", "Jonas Berg")
