"""Pure normalizers: one canonical key per identifier, so the same person compares equal.

Every function here is idempotent (normalizing a key again returns the key) and raises
``Invalid`` naming the field and the value when the input cannot be understood.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import unicodedata
from collections.abc import Mapping
from enum import StrEnum
from functools import lru_cache
from typing import Any

import idna
import phonenumbers
from babel import Locale
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata, PhoneNumber, region_code_for_country_code

from storeguard.core.errors import CommonError, Invalid
from storeguard.customers.enums import CustomerErrorCode, IdentifierType

# --- email -------------------------------------------------------------------------------------
# Which mailbox providers ignore what. Gmail ignores dots and a "+tag"; googlemail.com is gmail.com.
# iCloud and Outlook.com deliver "+tag" to the base mailbox; Yahoo uses "-keyword" addresses;
# every Yandex domain is one mailbox. Other domains keep their local part as written (lower-cased):
# a "+" there may be a real character, and linking strangers is worse than missing a tag.
GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})
ICLOUD_DOMAINS = frozenset({"icloud.com", "me.com", "mac.com"})


def _domains(prefix: str, tlds: str) -> list[str]:
    return [f"{prefix}.{tld}" for tld in tlds.split()]


OUTLOOK_DOMAINS = frozenset(
    _domains(
        "hotmail",
        "at be ca cl co.il co.nz co.th co.uk com com.ar com.au com.br com.gr com.mx com.pe "
        "com.tr com.vn cz de dk es fr hu id ie in it jp kr lv my ph pt sa sg sk no se fi",
    )
    + _domains("live", "be co.uk com com.ar com.mx de es eu fr it nl no se dk")
    + _domains(
        "outlook",
        "at be cl co.il co.nz co.th com com.ar com.au com.br com.gr com.pe com.tr com.vn cz "
        "de dk es fr hu id ie in it jp kr lv my ph pt sa sg sk",
    )
    + ["msn.com", "passport.com"]
)
YAHOO_DOMAINS = frozenset(
    {
        "rocketmail.com",
        "yahoo.ca",
        "yahoo.co.uk",
        "yahoo.com",
        "yahoo.de",
        "yahoo.fr",
        "yahoo.in",
        "yahoo.it",
        "ymail.com",
    }
)
YANDEX_DOMAINS = frozenset({"yandex.ru", "yandex.ua", "yandex.kz", "yandex.com", "yandex.by", "ya.ru"})
PLUS_TAG_DOMAINS = (
    GMAIL_DOMAINS
    | ICLOUD_DOMAINS
    | OUTLOOK_DOMAINS
    | frozenset({"fastmail.com", "fastmail.fm", "proton.me", "protonmail.com", "pm.me"})
)

# Mailbox providers anyone can sign up with: a whole one of these as a list entry is most customers.
FREE_MAIL_DOMAINS = (
    PLUS_TAG_DOMAINS
    | YAHOO_DOMAINS
    | YANDEX_DOMAINS
    | frozenset(
        {
            "aol.com",
            "gmx.com",
            "gmx.de",
            "gmx.net",
            "web.de",
            "t-online.de",
            "mail.ru",
            "mail.com",
            "qq.com",
            "163.com",
            "126.com",
            "sina.com",
            "naver.com",
            "hanmail.net",
            "yahoo.co.jp",
            "online.no",
            "walla.co.il",
            "orange.fr",
            "free.fr",
            "laposte.net",
            "libero.it",
            "zoho.com",
        }
    )
)

_SINGLE_DOT = re.compile(r"(?<!\.)\.(?!\.)")
_SPACE = re.compile(r"\s")


def _nfkc(value: str) -> str:
    return unicodedata.normalize("NFKC", value)


def _invalid(code: StrEnum, field: str, value: Any, why: str) -> Invalid:
    return Invalid(code, f"{field} {value!r} {why}", field=field, value=value)


_ASCII_HOST = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$")


def normalize_domain(domain: str, *, field: str = "email") -> str:
    """Return a mail domain in canonical Unicode form (IDN punycode and Unicode compare equal)."""
    text = _nfkc(domain.strip()).rstrip(".").lower()
    if not text or "." not in text or _SPACE.search(text):
        raise _invalid(CustomerErrorCode.invalid_email, field, domain, "is not a mail domain")
    return _canonical_domain(text, field)


@lru_cache(maxsize=65536)
def _canonical_domain(text: str, field: str) -> str:
    if _ASCII_HOST.match(text) and "xn--" not in text:
        return text  # plain ASCII host names are their own canonical form; IDNA is slow
    try:
        return idna.decode(idna.encode(text, uts46=True))
    except idna.IDNAError:
        raise _invalid(CustomerErrorCode.invalid_email, field, text, "is not a valid domain name") from None


def normalize_email(raw: str, *, field: str = "email") -> str:
    """Return the mailbox an address delivers to: lower case, provider tags and gmail dots removed."""
    # Screening normalizes the same few addresses over and over; the function is pure, so a text
    # input is answered from a cache (failures are not cached: they raise again, identically).
    if type(raw) is str:
        return _cached_email(raw, field)
    return _normalize_email(raw, field)


def _normalize_email(raw: Any, field: str) -> str:
    text = _nfkc(str(raw).strip())
    local, at, domain_part = text.rpartition("@")
    if not at or not local or not domain_part:
        raise _invalid(CustomerErrorCode.invalid_email, field, raw, "is not an email address")
    if not local.startswith('"') and _SPACE.search(local):
        raise _invalid(CustomerErrorCode.invalid_email, field, raw, "has spaces in its local part")
    try:
        domain = normalize_domain(domain_part, field=field)
    except Invalid as exc:
        raise _invalid(CustomerErrorCode.invalid_email, field, raw, exc.message.split(" ", 2)[-1]) from None
    if domain in PLUS_TAG_DOMAINS:
        local = local.split("+", 1)[0]
    if domain in GMAIL_DOMAINS:
        # Gmail ignores single dots; runs of dots are not valid gmail names and are kept as written.
        local = _SINGLE_DOT.sub("", local)
        domain = "gmail.com"
    elif domain in YAHOO_DOMAINS:
        # A Yahoo base name has no hyphen, so everything from the first one is the disposable keyword.
        local = local.split("-", 1)[0]
    elif domain in YANDEX_DOMAINS:
        domain = "yandex.ru"
    if not local:
        raise _invalid(CustomerErrorCode.invalid_email, field, raw, "has an empty mailbox name")
    return f"{_nfkc(local.lower())}@{domain}"


_cached_email = lru_cache(maxsize=65536)(_normalize_email)


def email_domain(normalized_email: str) -> str:
    """Return the domain part of an already normalized address."""
    return normalized_email.rpartition("@")[2]


# --- phone -------------------------------------------------------------------------------------


def normalize_phone(raw: str, *, default_region: str | None = None, field: str = "phone") -> str:
    """Return the number in E.164, reading a national number in the shop's country."""
    # Parsing with phonenumbers is the dearest normalization; the function is pure, so cache it.
    if type(raw) is str and (default_region is None or type(default_region) is str):
        return _cached_phone(raw, default_region, field)
    return _normalize_phone(raw, default_region, field)


def _normalize_phone(raw: Any, default_region: str | None, field: str) -> str:
    text = str(raw).strip()
    written = e164_as_written(text)
    if written is not None:
        return written
    return _parse_phone(text, raw, default_region, field)


def _parse_phone(text: str, raw: Any, default_region: str | None, field: str) -> str:
    region = (default_region or "").upper() or None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise _invalid(CustomerErrorCode.invalid_phone, field, raw, "is not a phone number") from None
    if not phonenumbers.is_possible_number(number):
        raise _invalid(CustomerErrorCode.invalid_phone, field, raw, "is not a possible phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_cached_phone = lru_cache(maxsize=65536)(_normalize_phone)

# "+" and ASCII digits, optionally grouped by single spaces: the shape most lists are written in.
_E164_WRITTEN = re.compile(r"\+[1-9](?: ?[0-9]){3,19}", re.ASCII)


@lru_cache(maxsize=512)
def _calling_code_rules(code: int) -> tuple[Any, re.Pattern[str] | None] | None:
    """Return the metadata phonenumbers would use for a calling code, and its national-prefix pattern."""
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(code, region_code_for_country_code(code))
    if metadata is None:
        return None
    prefix = metadata.national_prefix_for_parsing
    return metadata, re.compile(prefix) if prefix else None


def _e164_as_written(text: str) -> str | None:
    """Return ``text`` without spaces when phonenumbers would return exactly that, else None.

    A cheap path for "+<country code><number>" (phonenumbers.parse costs ~90 µs a number). It
    follows parse's own steps (the first 1-3 digits that are a calling code, then the number must
    not begin with that country's national prefix or a zero, and is_possible_number must accept it)
    and gives up, returning None, on anything else, so the full parse decides every other case.
    tests/customers/test_phone_fast_path.py checks it against the full parse on generated numbers.
    """
    if not _E164_WRITTEN.fullmatch(text):
        return None
    digits = text[1:].replace(" ", "")
    for size in (1, 2, 3):  # parse takes the shortest prefix that is a known calling code
        if int(digits[:size]) in COUNTRY_CODE_TO_REGION_CODE:
            break
    else:
        return None
    code, national = int(digits[:size]), digits[size:]
    rules = _calling_code_rules(code)
    if rules is None or len(national) < 3 or len(national) > 17 or national[0] == "0":
        return None  # too short or long, or an Italian-style leading zero: the full parse decides
    prefix = rules[1]
    if prefix is not None and prefix.match(national):
        return None  # parse might strip a national prefix here
    if not phonenumbers.is_possible_number(PhoneNumber(country_code=code, national_number=int(national))):
        return None
    return f"+{digits}"


@lru_cache(maxsize=4096)
def e164_as_written(text: str) -> str | None:
    """Return ``text`` without spaces when phonenumbers' parse would give exactly that, else None.

    Remembered: screening asks twice per order (to normalize the phone, then for its country).
    """
    return _e164_as_written(text)


# --- IP and CIDR -------------------------------------------------------------------------------


# A dotted quad already in canonical form (no leading zeros): what ipaddress would return as is.
_IPV4_CANONICAL = re.compile(
    r"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])",
    re.ASCII,
)


def normalize_ip(raw: str, *, field: str = "ip") -> str:
    """Return an IPv4 or IPv6 address in compressed form (IPv4-mapped IPv6 becomes IPv4)."""
    if type(raw) is str and _IPV4_CANONICAL.fullmatch(raw):
        return raw  # the common case, without building an address object
    text = str(raw).strip().strip("[]").split("%", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise _invalid(CustomerErrorCode.invalid_ip, field, raw, "is not an IP address") from None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.compressed


def normalize_cidr(raw: str, *, field: str = "cidr") -> str:
    """Return a network in canonical ``address/prefix`` form (host bits cleared)."""
    text = str(raw).strip()
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise _invalid(CustomerErrorCode.invalid_cidr, field, raw, "is not an IP network (CIDR)") from None
    return network.compressed


# --- country -----------------------------------------------------------------------------------

_COUNTRIES = frozenset(code for code in Locale("en").territories if len(code) == 2 and code.isalpha())


def normalize_country(raw: str, *, field: str = "country") -> str:
    """Return an ISO 3166-1 alpha-2 country code in upper case."""
    code = str(raw).strip().upper()
    if code not in _COUNTRIES:
        raise _invalid(CommonError.invalid_country, field, raw, "is not an ISO 3166 country code")
    return code


# --- addresses and names -----------------------------------------------------------------------

_LETTER_MAP = str.maketrans({"ø": "o", "æ": "ae", "đ": "d", "ł": "l", "þ": "th", "ð": "d", "œ": "oe"})
_NON_WORD = re.compile(r"[^\w]+")
_STREET_WORDS = {
    "street": "st",
    "road": "rd",
    "avenue": "ave",
    "av": "ave",
    "boulevard": "blvd",
    "drive": "dr",
    "lane": "ln",
    "court": "ct",
    "place": "pl",
    "square": "sq",
    "terrace": "ter",
    "crescent": "cres",
    "highway": "hwy",
    "parkway": "pkwy",
    "circle": "cir",
    "mount": "mt",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
    "northeast": "ne",
    "northwest": "nw",
    "southeast": "se",
    "southwest": "sw",
    "plass": "pl",
    "plassen": "pl",
    "postboks": "pb",
}
# Norwegian street names are compounds ("Storgata", "Kirkeveien"), so the suffix is abbreviated.
_STREET_SUFFIXES = (
    ("gaten", "gt"),
    ("gata", "gt"),
    ("gate", "gt"),
    ("veien", "vn"),
    ("vegen", "vn"),
    ("vei", "vn"),
    ("veg", "vn"),
)
_UNIT_WORDS = frozenset(
    {"apt", "apartment", "unit", "suite", "ste", "flat", "room", "rm", "leil", "leilighet", "bolig", "lgh"}
)
_NORWEGIAN_UNIT = re.compile(r"^[hukl]\d{4}$")  # bolignummer: H0301 = floor 3, door 1


def _fold(text: str) -> str:
    """Fold case, compatibility forms and accents so "Åsveien" and "ASVEIEN" compare equal."""
    text = _nfkc(text).casefold().translate(_LETTER_MAP)
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return _nfkc(text)


def _words(text: str) -> list[str]:
    return [w for w in _NON_WORD.sub(" ", _fold(text).replace("_", " ")).split() if w]


def normalize_words(text: str) -> str:
    """Return text folded to its lowercase words without accents or punctuation ("Tromsø " = "tromso")."""
    return " ".join(_words(text))


def _street_word(word: str) -> str:
    if word in _STREET_WORDS:
        return _STREET_WORDS[word]
    for suffix, short in _STREET_SUFFIXES:
        if word.endswith(suffix):
            return word[: -len(suffix)] + short
    return word


@lru_cache(maxsize=65536)
def normalize_street(text: str) -> str:
    """Return a street line's canonical form: folded, abbreviated, unit numbers moved to the end."""
    words = _words(text.replace("#", " unit "))
    street: list[str] = []
    units: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word in _UNIT_WORDS:
            while i + 1 < len(words) and words[i + 1] in _UNIT_WORDS:  # "Apt #4", "unit no"
                i += 1
            following = words[i + 1] if i + 1 < len(words) else ""
            if any(ch.isdigit() for ch in following) or (len(following) == 1 and following.isalpha()):
                units.append(f"unit {following}")
                i += 2
            else:  # "Apt" followed by no unit number says nothing
                i += 1
            continue
        if _NORWEGIAN_UNIT.match(word):
            units.append(f"unit {word}")
        else:
            street.append(_street_word(word))
        i += 1
    # "5 B" and "5B" are the same door.
    if len(street) >= 2 and street[-2].isdigit() and len(street[-1]) == 1 and street[-1].isalpha():
        street[-2:] = [street[-2] + street[-1]]
    return " ".join(street + sorted(units))


def normalize_postal_code(raw: str, country: str = "") -> str:
    """Return a postal code without spaces or dashes; US ZIP+4 is cut to the 5-digit ZIP."""
    code = re.sub(r"[\s\-]+", "", _nfkc(str(raw)).upper())
    if country.upper() == "US" and code[:5].isdigit():
        return code[:5]
    return code


def _get(obj: Any, key: str) -> Any:
    if obj is None:
        return None
    if isinstance(obj, Mapping):
        return obj.get(key)
    return getattr(obj, key, None)


def normalize_address(address: Mapping[str, Any] | str, *, field: str = "address") -> str:
    """Return an address's canonical key ``country|postal code|city|street``.

    The city counts only when there is no postal code (people spell cities many ways). A key
    string is accepted too and normalizes to itself.
    """
    if isinstance(address, str):
        parts = address.split("|")
        if len(parts) != 4:
            raise _invalid(
                CustomerErrorCode.invalid_address,
                field,
                address,
                "is not an address (give address1, zip, city, country_code)",
            )
        country, postal, city, street = parts
    else:
        country = str(_get(address, "country_code") or "")
        if len(country.strip()) != 2:
            country = ""
        postal = str(_get(address, "zip") or _get(address, "postal_code") or "")
        city = str(_get(address, "city") or "")
        street = " ".join(str(_get(address, k) or "") for k in ("address1", "address2"))
    country = country.strip().lower()
    postal = normalize_postal_code(postal, country)
    street_key = normalize_street(street)
    if not street_key:
        raise _invalid(CustomerErrorCode.invalid_address, field, address, "has no street line")
    city_key = "" if postal else " ".join(_words(city))
    return f"{country}|{postal.lower()}|{city_key}|{street_key}"


def normalize_name(raw: str) -> str:
    """Return a person's name folded and with its words sorted ("Nordmann, Kari" = "kari nordmann")."""
    return " ".join(sorted(_words(raw)))


def name_address_key(name: str, address: Mapping[str, Any] | str) -> str:
    """Return the key that links a name to an address; empty names give no key (raises)."""
    name_key = normalize_name(name)
    if not name_key:
        raise _invalid(CustomerErrorCode.invalid_identifier, "name", name, "is empty")
    return f"{name_key}#{normalize_address(address)}"


# --- opaque identifiers ------------------------------------------------------------------------

_CARD = re.compile(r"^(\d{6,8})\D+(\d{4})(?:\D+(\d{2})\D?(\d{2}|\d{4}))?$")


def normalize_payment_fingerprint(raw: str, *, field: str = "payment_fingerprint") -> str:
    """Return ``card:BIN:LAST4[:MMYY]`` for card details, else ``fp:<gateway fingerprint>``."""
    text = str(raw).strip()
    if text.startswith("fp:"):
        text = text[3:].strip()
        if not text:
            raise _invalid(CustomerErrorCode.invalid_identifier, field, raw, "is empty")
        return f"fp:{text}"
    match = _CARD.match(text.removeprefix("card:"))
    if match:
        bin_, last4, month, year = match.groups()
        expiry = f":{month}{year[-2:]}" if month and year else ""
        return f"card:{bin_}:{last4}{expiry}"
    if not text or _SPACE.search(text):
        raise _invalid(CustomerErrorCode.invalid_identifier, field, raw, "is not a payment fingerprint")
    return f"fp:{text}"


def card_fingerprint(bin_: str, last4: str, exp_month: int | None = None, exp_year: int | None = None) -> str:
    """Build the comparable fingerprint of a card from its BIN, last four digits and expiry."""
    expiry = f":{exp_month:02d}{exp_year % 100:02d}" if exp_month and exp_year else ""
    return normalize_payment_fingerprint(f"card:{bin_}:{last4}{expiry}")


def card_number_key(raw: str, *, field: str = "card_number") -> str:
    """Return ``card:BIN:LAST4`` for a card's BIN and last four digits, dropping any expiry."""
    fingerprint = normalize_payment_fingerprint(raw, field=field)
    parts = fingerprint.split(":")
    if parts[0] != "card":
        raise _invalid(CustomerErrorCode.invalid_identifier, field, raw, "is not a BIN and last four digits")
    return ":".join(parts[:3])


def normalize_user_agent(raw: Any) -> str:
    """Return a user agent with its spacing made even; an empty one is refused."""
    text = " ".join(str(raw).split())
    if not text:
        raise _invalid(CustomerErrorCode.invalid_identifier, "user_agent", raw, "is empty")
    return text


def ip_user_agent_key(ip: Any, user_agent: Any, *, field: str = "ip_user_agent") -> str:
    """Return ``IP#hash`` for an IP with a user agent: user agents run to hundreds of characters."""
    agent = normalize_user_agent(user_agent)
    digest = hashlib.sha256(agent.encode()).hexdigest()[:20]
    return f"{normalize_ip(ip, field=field)}#{digest}"


def normalize_token(raw: str, *, field: str) -> str:
    """Return an opaque id (device id, platform id) trimmed and lower-cased."""
    text = _nfkc(str(raw).strip()).lower()
    if not text or _SPACE.search(text):
        raise _invalid(CustomerErrorCode.invalid_identifier, field, raw, "is not an identifier")
    return text


def normalize_identifier(type_: IdentifierType | str, raw: Any, *, default_region: str | None = None) -> str:
    """Normalize one identifier of any type; ``Invalid`` names the type as the field."""
    try:
        kind = IdentifierType(type_)
    except ValueError:
        raise Invalid(
            CustomerErrorCode.invalid_identifier_type,
            f"{type_!r} is not an identifier type",
            field="type",
            value=str(type_),
        ) from None
    field = kind.value
    match kind:
        case IdentifierType.email:
            return normalize_email(raw, field=field)
        case IdentifierType.email_domain:
            return normalize_domain(str(raw).rpartition("@")[2], field=field)
        case IdentifierType.phone:
            return normalize_phone(raw, default_region=default_region, field=field)
        case IdentifierType.shipping_address | IdentifierType.billing_address:
            return normalize_address(raw, field=field)
        case IdentifierType.ip:
            return normalize_ip(raw, field=field)
        case IdentifierType.payment_fingerprint:
            return normalize_payment_fingerprint(raw, field=field)
        case IdentifierType.card_number:
            return card_number_key(raw, field=field)
        case IdentifierType.ip_user_agent:
            ip, _, agent = str(raw).strip().partition(" ")
            return ip_user_agent_key(ip, agent, field=field)
        case IdentifierType.name_address:
            if isinstance(raw, Mapping):
                name = raw.get("name") or f"{raw.get('first_name') or ''} {raw.get('last_name') or ''}"
                return name_address_key(str(name), raw)
            name, _, address = str(raw).partition("#")
            return name_address_key(name, address)
        case _:
            return normalize_token(raw, field=field)
