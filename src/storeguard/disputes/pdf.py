"""The evidence pack as a PDF: the letter, an index of the evidence, then each document.

Fonts are embedded (subset) so the bank reads Hebrew right to left and Chinese as written: Noto
Sans with Noto Sans Hebrew (Debian's fonts-noto-core) and Noto Sans CJK (fonts-noto-cjk); the
Chinese font is loaded only when the pack holds Chinese, which keeps the common pack fast.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from PIL import Image

from storeguard.core.enums import Language
from storeguard.core.errors import DomainError
from storeguard.disputes.enums import DisputeReason, EvidenceItem
from storeguard.disputes.evidence import EvidencePack
from storeguard.disputes.fields import communication_text
from storeguard.web.i18n import N_, Speaker, parse_language

FONT_DIRS = (Path("/usr/share/fonts/truetype/noto"), Path("/usr/share/fonts/opentype/noto"))
FONTS = {
    "sans": ("NotoSans-Regular.ttf", "fonts-noto-core"),
    "sans-bold": ("NotoSans-Bold.ttf", "fonts-noto-core"),
    "hebrew": ("NotoSansHebrew-Regular.ttf", "fonts-noto-core"),
    "hebrew-bold": ("NotoSansHebrew-Bold.ttf", "fonts-noto-core"),
    "cjk": ("NotoSansCJK-Regular.ttc", "fonts-noto-cjk"),
}
CJK_SIMPLIFIED = 2  # Noto Sans CJK SC in Debian's collection (JP, KR, SC, TC, HK)

TITLES: dict[EvidenceItem, str] = {
    EvidenceItem.letter: N_("Letter"),
    EvidenceItem.order: N_("Order and items"),
    EvidenceItem.customer: N_("Customer"),
    EvidenceItem.purchase_device: N_("IP address and device at purchase"),
    EvidenceItem.fulfilment: N_("Shipping"),
    EvidenceItem.proof_of_delivery: N_("Proof of delivery"),
    EvidenceItem.refunds: N_("Refunds and cancellations"),
    EvidenceItem.communication: N_("Communication with the customer"),
    EvidenceItem.policies: N_("Policies accepted at purchase"),
    EvidenceItem.prior_orders: N_("Earlier orders"),
    EvidenceItem.compelling_evidence_3: N_("Visa Compelling Evidence 3.0"),
    EvidenceItem.files: N_("Files"),
}


REASON_WORDS: dict[DisputeReason, str] = {
    DisputeReason.fraud: N_("Fraud"),
    DisputeReason.not_received: N_("Not received"),
    DisputeReason.not_as_described: N_("Not as described"),
    DisputeReason.duplicate: N_("Duplicate"),
    DisputeReason.credit_not_processed: N_("Credit not processed"),
    DisputeReason.subscription: N_("Subscription"),
    DisputeReason.other: N_("Other"),
}


class FontMissing(DomainError):
    status = 503
    title = "A font for the PDF is missing"


def font_path(key: str) -> Path:
    """Where a font is installed, or refuse naming the Debian package that brings it."""
    name, package = FONTS[key]
    for folder in FONT_DIRS:
        if (folder / name).is_file():
            return folder / name
    raise FontMissing(
        "pdf_font_missing",
        f"the evidence PDF needs the font {name}: install the Debian package {package}",
    )


# A Chinese character, a run of other non-space characters, or a run of spaces.
_TOKENS = re.compile(r"[\u3000-\u9fff\uff00-\uffef]|[^\s\u3000-\u9fff\uff00-\uffef]+|\s+")


_RTL = re.compile(r"[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")


def _has_cjk(text: str) -> bool:
    return any("\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" for ch in text)


def _is_rtl(text: str) -> bool:
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return False


class _Pack(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(format="A4")
        self._footer_text = footer_text
        self.family = "sans"

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("sans", style="B", size=8)
        self.set_font(self.family, size=8)
        if _RTL.search(self._footer_text):
            self.set_text_shaping(True, direction="rtl")
        self.set_text_color(110)
        self.cell(0, 6, f"{self._footer_text} · {self.page_no()}", align="C")


def render_pack_pdf(pack: EvidencePack, *, files: dict[int, bytes] | None = None) -> bytes:
    """Render the pack: letter, evidence index and documents; image files are shown, PDFs attached."""
    speaker = Speaker(parse_language(pack.language) or Language.en)
    _: Callable[[str], str] = speaker.gettext
    corpus = "\n".join([pack.letter, str(pack.customer), str(pack.policies), communication_text(pack) or ""])
    pdf = _Pack(f"{_('Dispute')} {pack.dispute_id}")
    pdf.set_title(f"Dispute {pack.dispute_id} evidence")
    rtl = speaker.direction == "rtl"
    hebrew = rtl or _RTL.search(corpus) is not None
    cjk = speaker.language is Language.zh or _has_cjk(corpus)
    pdf.add_font("sans", fname=font_path("sans"))
    pdf.add_font("sans", style="B", fname=font_path("sans-bold"))
    # Only the fonts a pack needs: each one read costs time, and each fallback is checked per character.
    fallbacks = []
    if hebrew:
        pdf.add_font("hebrew", fname=font_path("hebrew"))
        pdf.add_font("hebrew", style="B", fname=font_path("hebrew-bold"))
        fallbacks.append("hebrew")
    if cjk:
        # HarfBuzz shapes a font collection's first face (Japanese); Chinese needs no shaping, so
        # the Simplified face is used unshaped unless Hebrew in the same pack needs the shaper.
        # One face only: a second (bold) face of the same file would share its subset and garble.
        face = 0 if hebrew else CJK_SIMPLIFIED
        pdf.add_font("cjk", fname=font_path("cjk"), collection_font_number=face)
        fallbacks.append("cjk")
    if fallbacks:
        pdf.set_fallback_fonts(fallbacks)
    pdf.set_auto_page_break(True, margin=16)
    pdf.set_margins(18, 18, 18)
    pdf.add_page()
    # Chinese and Latin in one font: fpdf2 mixes up fonts where a wrapped line falls back mid-way.
    pdf.family = "cjk" if cjk else "sans"
    writer = _Writer(
        pdf, rtl=rtl, family=pdf.family, switch_font="hebrew" if hebrew else "cjk" if cjk else None
    )

    present = pack.present()
    writer.heading(f"{_('Dispute')} {pack.dispute_id} · {pack.amount}", size=15)
    writer.text(f"{pack.merchant} · {pack.gateway} · {_(REASON_WORDS[pack.reason])}", muted=True)
    writer.heading(_(TITLES[EvidenceItem.letter]))
    writer.text(pack.letter)
    if pack.extra_text:
        writer.text(pack.extra_text)

    writer.heading(_("Evidence index"))
    for n, item in enumerate(present, start=1):
        writer.text(f"{n}. {_(TITLES[item])}")

    for n, item in enumerate(present, start=1):
        if item is EvidenceItem.letter:
            continue
        writer.heading(f"{n}. {_(TITLES[item])}")
        _SECTIONS[item](writer, pack, _, files or {})
    return bytes(pdf.output())


class _Writer:
    """Paragraphs that start at the right in a Hebrew pack, and wherever a line is Hebrew."""

    def __init__(self, pdf: _Pack, *, rtl: bool, family: str, switch_font: str | None) -> None:
        self.pdf = pdf
        self.rtl = rtl
        self.family = family
        self.switch_font = switch_font
        self._widths: dict[tuple[str, str, float, str], float] = {}

    def heading(self, text: str, size: int = 12) -> None:
        self.pdf.ln(3)
        self._font("B", size)
        self.pdf.set_text_color(20)
        self._cell(text, 7)

    def text(self, text: str, *, muted: bool = False, size: int = 10) -> None:
        self._font("", size)
        self.pdf.set_text_color(100 if muted else 30)
        for paragraph in (text or "").split("\n"):
            self._cell(paragraph or " ", 5)

    def pairs(self, rows: list[tuple[str, object]]) -> None:
        for label, value in rows:
            if value not in (None, "", []):
                self.text(f"{label}: {value}")

    def _font(self, style: str, size: float) -> None:
        # A line that fell back to another font leaves that font current in the page while fpdf2
        # thinks Noto Sans still is; choosing another font first makes the choice really happen.
        if self.switch_font is not None:
            self.pdf.set_font(self.switch_font, size=size)
        if self.family == "cjk":  # one weight: a heading is set larger instead of bold
            self.pdf.set_font("cjk", size=size + (1 if style else 0))
        else:
            self.pdf.set_font("sans", style=style, size=size)

    def _cell(self, text: str, height: float) -> None:
        hebrew = _RTL.search(text) is not None
        align = "R" if self.rtl or _is_rtl(text) else "L"
        # Shaping (joining, right-to-left order) only where Hebrew is: it is most of the render time.
        if hebrew:
            self.pdf.set_text_shaping(True, direction="rtl" if self.rtl else None)
        else:
            self.pdf.set_text_shaping(False)
        for line in self._wrap(text):
            self.pdf.cell(0, height, line, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def _wrap(self, text: str) -> list[str]:
        """Break a paragraph into lines that fit, word by word (Chinese character by character).

        fpdf2's own breaking measures a line again for every character it adds, which made a
        200-message log take seconds; here each word is measured once per font and size.
        """
        room = self.pdf.epw - 0.5
        lines, line, width = [], "", 0.0
        for token in _TOKENS.findall(text):
            size = self._width(token)
            if width + size > room and line.strip():
                lines.append(line.rstrip())
                line, width = "", 0.0
                if token.isspace():
                    continue
            while size > room and len(token) > 1:  # a word wider than the line: cut it
                cut = max(1, int(len(token) * room / size))
                lines.append(token[:cut])
                token = token[cut:]
                size = self._width(token)
            line, width = line + token, width + size
        lines.append(line.rstrip())
        return lines

    def _width(self, token: str) -> float:
        key = (self.pdf.font_family, self.pdf.font_style, self.pdf.font_size_pt, token)
        if key not in self._widths:
            self._widths[key] = self.pdf.get_string_width(token)
        return self._widths[key]


def _order(w: _Writer, pack: EvidencePack, _: Callable[[str], str], files: dict[int, bytes]) -> None:
    o = pack.order or {}
    w.pairs(
        [
            (_("Order"), o.get("number")),
            (_("Placed"), (o.get("placed_at") or "")[:16].replace("T", " ")),
            (_("Total"), o.get("total")),
            (_("Payment"), o.get("charge")),
        ]
    )
    for li in pack.lines:
        w.text(f"{li['quantity']} × {li['title']} ({li['sku']}) · {li['unit_price']}")


def _customer(w: _Writer, pack: EvidencePack, _: Callable[[str], str], files: dict[int, bytes]) -> None:
    c = pack.customer
    w.pairs(
        [
            (_("Name"), c.get("name")),
            (_("Email"), c.get("email")),
            (_("Phone"), c.get("phone")),
            (_("Billing address"), c.get("billing_address")),
            (_("Shipping address"), c.get("shipping_address")),
        ]
    )


def _purchase(w: _Writer, pack: EvidencePack, _: Callable[[str], str], files: dict[int, bytes]) -> None:
    p = pack.purchase
    w.pairs(
        [
            ("IP", p.get("ip")),
            (_("Device"), p.get("device")),
            (_("Browser"), p.get("user_agent")),
            (_("Card"), p.get("card")),
        ]
    )


def _fulfilment(w: _Writer, pack: EvidencePack, _: Callable[[str], str], files: dict[int, bytes]) -> None:
    for f in pack.fulfilments:
        w.pairs(
            [
                (_("Carrier"), f["carrier"]),
                (_("Tracking number"), f["tracking_number"]),
                (_("Shipped"), f["shipped_at"][:10]),
            ]
        )


def _delivery(w: _Writer, pack: EvidencePack, _: Callable[[str], str], files: dict[int, bytes]) -> None:
    for f in pack.fulfilments:
        if f["delivered_at"]:
            w.pairs(
                [
                    (_("Delivered"), f["delivered_at"][:16].replace("T", " ")),
                    (_("Recipient"), f["recipient"]),
                    (_("Tracking number"), f["tracking_number"]),
                ]
            )


def _refunds(w: _Writer, pack: EvidencePack, _: Callable[[str], str], files: dict[int, bytes]) -> None:
    for r in pack.refunds:
        what = _("Refund") if r["kind"] == "refund" else _("Cancellation")
        w.text(" · ".join(str(v) for v in (r["at"][:10], what, r["amount"], r["reason"]) if v))


def _communication(w: _Writer, pack: EvidencePack, _: Callable[[str], str], files: dict[int, bytes]) -> None:
    for m in pack.communication:
        w.text(f"{m['at'][:16].replace('T', ' ')} · {m['source']} {m['author']}".strip(), muted=True, size=9)
        w.text(m["text"])


def _policies(w: _Writer, pack: EvidencePack, _: Callable[[str], str], files: dict[int, bytes]) -> None:
    for p in pack.policies:
        w.text(f"{p['title']} · v{p['version']} · {p['effective_from'][:10]}", muted=True)
        w.text(p["body"])


def _priors(w: _Writer, pack: EvidencePack, _: Callable[[str], str], files: dict[int, bytes]) -> None:
    for p in pack.prior_orders:
        flag = _("disputed") if p.disputed else ""
        w.text(f"{p.number} · {p.placed_at:%Y-%m-%d} · {p.total} · {', '.join(p.shared)} {flag}".strip())


def _ce3(w: _Writer, pack: EvidencePack, _: Callable[[str], str], files: dict[int, bytes]) -> None:
    w.text(
        _(
            "Two or more earlier orders, 120 to 365 days before the dispute and never disputed, share the IP address or device and another identifier with the disputed order."
        )
    )
    for p in pack.compelling:
        w.pairs(
            [
                (_("Order"), f"{p.number} · {p.placed_at:%Y-%m-%d} · {p.total}"),
                (_("Shared"), ", ".join(p.shared)),
                ("IP", p.ip),
                (_("Device"), p.device),
            ]
        )


def _files(w: _Writer, pack: EvidencePack, _: Callable[[str], str], files: dict[int, bytes]) -> None:
    for f in pack.files:
        w.text(f"{f['filename']} · {f['content_type']} · {f['size']:,} B")
        data = files.get(f["id"])
        if data is None:
            continue
        if f["content_type"] == "application/pdf":
            w.pdf.embed_file(bytes=data, basename=f["filename"], desc=f["filename"])
        else:
            with Image.open(io.BytesIO(data)) as img:
                w.pdf.image(img.copy(), w=min(w.pdf.epw, 120))


_SECTIONS: dict[
    EvidenceItem, Callable[[_Writer, EvidencePack, Callable[[str], str], dict[int, bytes]], None]
] = {
    EvidenceItem.order: _order,
    EvidenceItem.customer: _customer,
    EvidenceItem.purchase_device: _purchase,
    EvidenceItem.fulfilment: _fulfilment,
    EvidenceItem.proof_of_delivery: _delivery,
    EvidenceItem.refunds: _refunds,
    EvidenceItem.communication: _communication,
    EvidenceItem.policies: _policies,
    EvidenceItem.prior_orders: _priors,
    EvidenceItem.compelling_evidence_3: _ce3,
    EvidenceItem.files: _files,
}
