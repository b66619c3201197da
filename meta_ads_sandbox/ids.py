"""Object IDs that look like Meta's and encode their position, so lookups need no index.

- ad account: 15 digits, "1" + account number (5 digits) + 9 check digits; `id` is "act_<that>"
- campaign, ad set, ad, ad creative, ad video, custom audience, custom conversion: 18 digits,
  "12" + kind (1) + account (5) + campaign (4) + ad set (3) + ad (3), all 1-based so none is 0
  (videos, audiences and custom conversions put their own number in the campaign slot)
- business: 15 digits, "18" + business number (4) + 9 check digits
- user (one system user per token): 15 digits, "10" + 13 digits hashed from the token name
- ad image: "<account_id>:<hash>" as Meta does
- report run: 16 digits, "60" + 14 digits (kept in the job table, never decoded)
"""

from __future__ import annotations

from dataclasses import dataclass

from meta_ads_sandbox.rng import digits

CAMPAIGN = "campaign"
ADSET = "adset"
AD = "ad"
CREATIVE = "adcreative"
VIDEO = "advideo"
AUDIENCE = "customaudience"
CONVERSION = "customconversion"
ACCOUNT = "adaccount"
BUSINESS = "business"
USER = "user"
IMAGE = "adimage"

_KIND_DIGIT = {CAMPAIGN: 1, ADSET: 2, AD: 3, CREATIVE: 4, VIDEO: 5, AUDIENCE: 6, CONVERSION: 7}
_DIGIT_KIND = {v: k for k, v in _KIND_DIGIT.items()}

MAX_ACCOUNTS = 99_999
MAX_CAMPAIGNS = 9_999
MAX_ADSETS = 999
MAX_ADS = 999


@dataclass(frozen=True)
class Ref:
    """A decoded ID: its kind and 0-based position (unused positions are -1)."""

    kind: str
    account: int = -1
    campaign: int = -1
    adset: int = -1
    ad: int = -1
    number: int = -1  # business, video, audience or conversion number; images: by hash

    @property
    def path(self) -> tuple[int, ...]:
        return tuple(p for p in (self.account, self.campaign, self.adset, self.ad) if p >= 0)


def account_number(account: int) -> str:
    """The numeric ad account id (no "act_") of 0-based account `account`."""
    head = f"1{account + 1:05d}"
    return head + digits("account-id", account, length=9)


def account_id(account: int) -> str:
    """The `id` of an ad account: "act_<number>"."""
    return "act_" + account_number(account)


def object_id(kind: str, account: int, campaign: int = -1, adset: int = -1, ad: int = -1) -> str:
    """The ID of a campaign, ad set, ad, creative, video or audience."""
    return f"12{_KIND_DIGIT[kind]}{account + 1:05d}{campaign + 1:04d}{adset + 1:03d}{ad + 1:03d}"


def business_id(business: int) -> str:
    """The ID of 0-based business `business`."""
    return f"18{business + 1:04d}" + digits("business-id", business, length=9)


def user_id(token: str) -> str:
    """The ID of the system user behind `token`."""
    return "10" + digits("user-id", token, length=13)


def page_id(account: int) -> str:
    """The Facebook Page an account advertises for."""
    return "10" + digits("page-id", account, length=13)


def pixel_id(account: int) -> str:
    """The Meta pixel of an account."""
    return "7" + digits("pixel-id", account, length=14)


def decode(raw: str) -> Ref | None:
    """Decode an object ID (with or without "act_"); None when it is not one of ours."""
    if raw.startswith("act_"):
        num = raw[4:]
        if len(num) == 15 and num.isdigit() and num[0] == "1":
            account = int(num[1:6]) - 1
            if account >= 0 and account_number(account) == num:
                return Ref(ACCOUNT, account=account)
        return None
    if ":" in raw:
        acct, _, image_hash = raw.partition(":")
        ref = decode("act_" + acct)
        if ref is None or len(image_hash) != 32:
            return None
        return Ref(IMAGE, account=ref.account)
    if not raw.isdigit():
        return None
    if len(raw) == 18 and raw.startswith("12"):
        kind = _DIGIT_KIND.get(int(raw[2]))
        if kind is None:
            return None
        account, c = int(raw[3:8]) - 1, int(raw[8:12]) - 1
        s, d = int(raw[12:15]) - 1, int(raw[15:]) - 1
        if account < 0:
            return None
        if kind in (VIDEO, AUDIENCE, CONVERSION):
            if c < 0 or s != -1 or d != -1:
                return None
            return Ref(kind, account=account, number=c)
        want = {CAMPAIGN: (True, False, False), ADSET: (True, True, False)}.get(
            kind, (True, True, True)
        )
        if (c >= 0, s >= 0, d >= 0) != want:
            return None
        return Ref(kind, account=account, campaign=c, adset=s, ad=d)
    if len(raw) == 15 and raw.startswith("18"):
        business = int(raw[2:6]) - 1
        if business >= 0 and business_id(business) == raw:
            return Ref(BUSINESS, number=business)
        return None
    if len(raw) == 15 and raw.startswith("1"):
        # A bare account number (no act_) is not an ad account node in Graph.
        return None
    return None
