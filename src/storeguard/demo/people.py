"""Customers' identities: names, emails, phones, addresses, IPs, devices and cards, per locale.

Everything comes from one ``random.Random`` and seeded Faker instances, so a seed gives the same people.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from typing import Any

from faker import Faker

from storeguard.customers.normalize import normalize_email
from storeguard.demo.catalogue import CITIES, EMAIL_DOMAINS, IP_BLOCKS, VPN_BLOCKS

# Locale as stored on the customer -> (Faker locale, country). Faker calls Bokmål "no_NO".
LOCALES: dict[str, tuple[str, str]] = {
    "nb-NO": ("no_NO", "NO"),
    "en-US": ("en_US", "US"),
    "he-IL": ("he_IL", "IL"),
    "zh-CN": ("zh_CN", "CN"),
}
POOL_SIZE = 400
# Share of cards the gateway names by its own fingerprint; the rest arrive as BIN, last four, expiry.
CARD_FINGERPRINT_SHARE = 0.6
# A handful of browser builds: sharing one with a stranger is common, on one IP it is an office.
USER_AGENTS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.6 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 "
    "Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 "
    "Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
)
LOCALE_WEIGHTS: dict[str, float] = {"nb-NO": 0.5, "en-US": 0.22, "he-IL": 0.13, "zh-CN": 0.15}

# Hebrew and Chinese names with the Latin spelling people use in their email addresses.
HE_FIRST = (
    ("נועה", "noa"),
    ("תמר", "tamar"),
    ("יעל", "yael"),
    ("מאיה", "maya"),
    ("שירה", "shira"),
    ("מיכל", "michal"),
    ("דנה", "dana"),
    ("אבי", "avi"),
    ("יוסי", "yossi"),
    ("דוד", "david"),
    ("משה", "moshe"),
    ("דניאל", "daniel"),
    ("איתי", "itai"),
    ("עומר", "omer"),
    ("איתן", "eitan"),
    ("נועם", "noam"),
    ("יונתן", "yonatan"),
    ("עמית", "amit"),
    ("רוני", "roni"),
    ("ליאור", "lior"),
    ("אורי", "ori"),
    ("הילה", "hila"),
    ("גיל", "gil"),
    ("רותם", "rotem"),
)
HE_LAST = (
    ("כהן", "cohen"),
    ("לוי", "levi"),
    ("מזרחי", "mizrahi"),
    ("פרץ", "peretz"),
    ("ביטון", "biton"),
    ("דהן", "dahan"),
    ("אברהם", "avraham"),
    ("פרידמן", "friedman"),
    ("אזולאי", "azoulay"),
    ("כץ", "katz"),
    ("שפירא", "shapira"),
    ("מלכה", "malka"),
    ("גולדברג", "goldberg"),
    ("סגל", "segal"),
    ("אוחיון", "ohayon"),
    ("חדד", "hadad"),
)
ZH_LAST = (
    ("王", "wang"),
    ("李", "li"),
    ("张", "zhang"),
    ("刘", "liu"),
    ("陈", "chen"),
    ("杨", "yang"),
    ("黄", "huang"),
    ("赵", "zhao"),
    ("吴", "wu"),
    ("周", "zhou"),
    ("徐", "xu"),
    ("孙", "sun"),
    ("马", "ma"),
    ("朱", "zhu"),
    ("胡", "hu"),
    ("郭", "guo"),
)
ZH_FIRST = (
    ("伟", "wei"),
    ("芳", "fang"),
    ("娜", "na"),
    ("敏", "min"),
    ("静", "jing"),
    ("丽", "li"),
    ("强", "qiang"),
    ("磊", "lei"),
    ("洋", "yang"),
    ("艳", "yan"),
    ("勇", "yong"),
    ("军", "jun"),
    ("杰", "jie"),
    ("娟", "juan"),
    ("涛", "tao"),
    ("明", "ming"),
    ("超", "chao"),
    ("秀英", "xiuying"),
    ("华", "hua"),
    ("丹", "dan"),
    ("婷", "ting"),
    ("俊杰", "junjie"),
    ("欣怡", "xinyi"),
    ("子涵", "zihan"),
)

US_AREA_CODES = {
    "New York": ("212", "917", "646"),
    "Brooklyn": ("718", "347"),
    "San Francisco": ("415", "628"),
    "Seattle": ("206",),
    "Minneapolis": ("612",),
    "Chicago": ("312", "773"),
    "Austin": ("512", "737"),
    "Denver": ("303", "720"),
    "Boston": ("617", "857"),
    "Portland": ("503", "971"),
    "Madison": ("608",),
}
_LATIN = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "é": "e", "ü": "u", "ö": "o", "ä": "a"})

US_ABBREVIATIONS = {
    "Street": "St",
    "Avenue": "Ave",
    "Court": "Ct",
    "Road": "Rd",
    "Drive": "Dr",
    "Lane": "Ln",
    "Place": "Pl",
    "Boulevard": "Blvd",
    "Terrace": "Ter",
    "Square": "Sq",
}
NO_ABBREVIATIONS = {"gata": "gt.", "gate": "gt.", "veien": "vn.", "vegen": "vn.", "vei": "v."}


DIGITS = string.digits
ALNUM = string.ascii_letters + string.digits
UPPER_ALNUM = string.ascii_uppercase + string.digits
_TABLES: dict[str, bytes] = {}


def token(rng: random.Random, length: int, alphabet: str = ALNUM) -> str:
    """Return ``length`` random characters of ``alphabet`` (one random byte each: fast, seedable)."""
    table = _TABLES.get(alphabet)
    if table is None:
        table = _TABLES[alphabet] = bytes(ord(alphabet[i % len(alphabet)]) for i in range(256))
    return rng.randbytes(length).translate(table).decode("ascii")


@dataclass
class Card:
    brand: str
    bin: str
    last4: str
    expiry: str
    fingerprint: str
    # Some gateways and older imports give only the BIN, last four and expiry, no card fingerprint.
    fingerprinted: bool = True


@dataclass
class Person:
    """One customer's identity: what they type at checkout and what the gateway sees."""

    locale: str
    country: str
    first_name: str
    last_name: str
    latin_first: str
    latin_last: str
    email: str
    phone: str  # E.164, as the platform stores it on the customer
    address: dict[str, Any]
    ips: list[str]
    devices: list[str]
    cards: list[Card]
    paypal_payer: str | None
    shared: list[str] = field(default_factory=list)  # for evaders: identifiers copied from the original
    user_agent: str = ""  # the browser build: thousands of people run the same one
    traps: list[str] = field(default_factory=list)  # what an honest customer shares with strangers

    @property
    def display_name(self) -> str:
        if self.locale == "zh-CN":
            return f"{self.last_name}{self.first_name}"
        return f"{self.first_name} {self.last_name}"


class PeopleFactory:
    """Make distinct people: no two share an email, phone, address, device, card or IP by accident."""

    def __init__(self, rng: random.Random, seed: int) -> None:
        self.rng = rng
        self.fakers: dict[str, Faker] = {}
        for i, (loc, (faker_locale, _)) in enumerate(sorted(LOCALES.items())):
            fake = Faker(faker_locale)
            fake.seed_instance(seed * 10 + i)
            self.fakers[loc] = fake
        self._pools: dict[tuple[str, str], list[str]] = {}
        self.used: set[str] = set()

    def _unique(self, kind: str, make: Any, same: Any = str) -> Any:
        """Make a value no one has yet; ``same`` says when two values are one (gmail ignores dots)."""
        for _ in range(1000):
            value = make()
            key = f"{kind}:{same(value)}".lower()
            if key not in self.used:
                self.used.add(key)
                return value
        raise RuntimeError(f"could not make a unique {kind}")

    def _draw(self, locale: str, kind: str) -> str:
        """Pick a name or street from a pool Faker filled once: Faker's weighted lists are slow per call."""
        pool = self._pools.get((locale, kind))
        if pool is None:
            fake = self.fakers[locale]
            make = {"first": fake.first_name, "last": fake.last_name, "street": fake.street_name}[kind]
            pool = self._pools[(locale, kind)] = [make() for _ in range(POOL_SIZE)]
        return self.rng.choice(pool)

    def pick_locale(self) -> str:
        """Choose a locale in the shop's customer mix."""
        return self.rng.choices(list(LOCALE_WEIGHTS), weights=list(LOCALE_WEIGHTS.values()))[0]

    def names(self, locale: str) -> tuple[str, str, str, str]:
        """Return first and last name and their Latin spellings for an email address."""
        rng = self.rng
        if locale == "he-IL":
            (first, lf), (last, ll) = rng.choice(HE_FIRST), rng.choice(HE_LAST)
            return first, last, lf, ll
        if locale == "zh-CN":
            (first, lf), (last, ll) = rng.choice(ZH_FIRST), rng.choice(ZH_LAST)
            return first, last, lf, ll
        first, last = self._draw(locale, "first"), self._draw(locale, "last")
        return first, last, _latin(first), _latin(last)

    def email(self, country: str, latin_first: str, latin_last: str, domain: str | None = None) -> str:
        """Make an address in the patterns people really use, on a domain common in their country."""
        rng = self.rng

        def make() -> str:
            dom = domain or rng.choice(EMAIL_DOMAINS[country])
            if dom == "qq.com" and rng.random() < 0.6:
                return f"{rng.randint(10_000_000, 3_999_999_999)}@qq.com"
            year = rng.randint(62, 99) if rng.random() < 0.5 else rng.randint(1, 9999)
            local = rng.choice(
                [
                    f"{latin_first}.{latin_last}",
                    f"{latin_first}{latin_last}",
                    f"{latin_first[0]}.{latin_last}",
                    f"{latin_first}_{latin_last}{year}",
                    f"{latin_first}{year}",
                    f"{latin_last}.{latin_first}{year}",
                ]
            )
            return f"{local}@{dom}"

        # Two people never share a mailbox: lior.avraham@ and lioravraham@gmail.com are one address.
        return self._unique("email", make, normalize_email)

    def phone(self, country: str, city: str) -> str:
        """Make a mobile number in E.164 for the country."""
        rng = self.rng

        def make() -> str:
            if country == "NO":
                return f"+47{rng.choice('49')}{rng.randint(0, 9_999_999):07d}"
            if country == "US":
                area = rng.choice(US_AREA_CODES.get(city, ("212",)))
                return f"+1{area}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
            if country == "IL":
                return f"+9725{rng.choice('02348')}{rng.randint(0, 9_999_999):07d}"
            return f"+861{rng.choice('358')}{rng.randint(0, 9)}{rng.randint(0, 99_999_999):08d}"

        return self._unique("phone", make)

    def address(self, locale: str, country: str, name: str) -> dict[str, Any]:
        """Make a postal address as a checkout form collects it."""
        rng, street = self.rng, lambda: self._draw(locale, "street")

        def make() -> dict[str, Any]:
            city = rng.choice(CITIES[country])
            zip_code = city.zip_prefix + token(rng, city.zip_len - len(city.zip_prefix), DIGITS)
            address2 = ""
            if country == "NO":
                line1 = f"{street()} {rng.randint(1, 120)}{rng.choice(['', '', '', 'A', 'B'])}"
                if rng.random() < 0.3:
                    address2 = f"H0{rng.randint(1, 6)}0{rng.randint(1, 4)}"
            elif country == "US":
                line1 = f"{rng.randint(100, 9999)} {street()}"
                if rng.random() < 0.25:
                    address2 = (
                        f"{rng.choice(['Apt.', 'Apt.', 'Suite'])} {rng.randint(1, 40)}{rng.choice('ABCD')}"
                    )
            elif country == "IL":
                line1 = f"{street()} {rng.randint(1, 90)}"
                if rng.random() < 0.5:
                    address2 = f"דירה {rng.randint(1, 40)}"
            else:
                line1 = f"{street()}{rng.randint(1, 999)}号"
                if rng.random() < 0.7:
                    address2 = f"{rng.randint(1, 30)}栋{rng.randint(1, 4)}单元{rng.randint(101, 2804)}室"
            return {
                "name": name,
                "address1": line1,
                "address2": address2,
                "city": city.name,
                "zip": zip_code,
                "province": city.province,
                "country_code": country,
            }

        while True:
            addr = make()
            key = f"address:{addr['address1']}|{addr['address2']}|{addr['zip']}".lower()
            if key not in self.used:
                self.used.add(key)
                return addr

    def ip(self, country: str, *, vpn: bool = False) -> str:
        """Make a public IPv4 address from a home ISP block in the country (or a VPN exit)."""
        rng = self.rng

        def make() -> str:
            a, b = rng.choice(VPN_BLOCKS if vpn else IP_BLOCKS[country])
            return f"{a}.{b}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"

        return self._unique("ip", make)

    def device(self) -> str:
        """Make a browser fingerprint id like a device-fingerprinting script returns."""
        return self._unique("device", lambda: f"dev_{self.rng.getrandbits(80):020x}")

    def card(self, country: str) -> Card:
        """Make a payment card as the gateway reports it: BIN, last four digits, expiry, fingerprint."""
        rng = self.rng
        brand = (
            "unionpay"
            if country == "CN" and rng.random() < 0.4
            else rng.choice(["visa", "visa", "mastercard"])
        )
        prefix = {"visa": "4", "mastercard": f"5{rng.randint(1, 5)}", "unionpay": "62"}[brand]
        bin_ = prefix + token(rng, 6 - len(prefix), DIGITS)
        fingerprint = self._unique("card", lambda: token(rng, 16))
        expiry = f"{rng.randint(1, 12):02d}/{rng.randint(26, 31)}"
        fingerprinted = rng.random() < CARD_FINGERPRINT_SHARE
        return Card(brand, bin_, f"{rng.randint(0, 9999):04d}", expiry, fingerprint, fingerprinted)

    def person(self, locale: str | None = None) -> Person:
        """Make a complete new customer identity."""
        rng = self.rng
        locale = locale or self.pick_locale()
        country = LOCALES[locale][1]
        first, last, lf, ll = self.names(locale)
        person = Person(
            locale=locale,
            country=country,
            first_name=first,
            last_name=last,
            latin_first=lf,
            latin_last=ll,
            email=self.email(country, lf, ll),
            phone="",
            address={},
            ips=[],
            devices=[],
            cards=[],
            paypal_payer=None,
        )
        person.address = self.address(locale, country, person.display_name)
        person.phone = self.phone(country, person.address["city"])
        person.ips = [self.ip(country) for _ in range(rng.choice([1, 1, 2, 3]))]
        person.devices = [self.device() for _ in range(rng.choice([1, 1, 2]))]
        person.cards = [self.card(country) for _ in range(rng.choice([1, 1, 1, 2]))]
        person.user_agent = rng.choice(USER_AGENTS)
        if rng.random() < 0.3:
            person.paypal_payer = self._unique("paypal", lambda: token(rng, 13, UPPER_ALNUM))
        return person


def _latin(name: str) -> str:
    return "".join(
        ch for ch in name.lower().translate(_LATIN) if ch.isascii() and (ch.isalnum() or ch == "-")
    )


def format_phone_locally(phone: str, rng: random.Random) -> str:
    """Write an E.164 number the way a customer types it at checkout in their country."""
    if phone.startswith("+47"):
        n = phone[3:]
        return rng.choice([f"{n[:3]} {n[3:5]} {n[5:]}", n, f"+47 {n}", phone])
    if phone.startswith("+1"):
        n = phone[2:]
        return rng.choice(
            [f"({n[:3]}) {n[3:6]}-{n[6:]}", f"{n[:3]}-{n[3:6]}-{n[6:]}", f"+1 {n[:3]} {n[3:6]} {n[6:]}"]
        )
    if phone.startswith("+972"):
        n = phone[4:]
        return rng.choice([f"0{n[:2]}-{n[2:5]}-{n[5:]}", f"+972-{n[:2]}-{n[2:5]}-{n[5:]}", f"0{n}"])
    if phone.startswith("+86"):
        n = phone[3:]
        return rng.choice([f"{n[:3]} {n[3:7]} {n[7:]}", n, f"+86 {n}"])
    return phone


def reformat_address(address: dict[str, Any], rng: random.Random, name: str) -> dict[str, Any]:
    """Return the same place written differently: abbreviations, case, unit style (as evaders do)."""
    line1, line2 = address["address1"], address["address2"]
    table = US_ABBREVIATIONS if address["country_code"] == "US" else NO_ABBREVIATIONS
    for long, short in table.items():
        if line1.endswith(long) or f"{long} " in line1 or line1.split(" ")[0].endswith(long):
            line1 = line1.replace(long, short, 1)
            break
    if rng.random() < 0.5:
        line1 = line1.upper() if address["country_code"] in {"US", "NO"} else line1
    if line2.startswith("Apt. "):
        line2 = "#" + line2.removeprefix("Apt. ")
    elif line2.startswith("Suite "):
        line2 = "Ste " + line2.removeprefix("Suite ")
    return {**address, "name": name, "address1": line1, "address2": line2}
