"""The facts behind each object, generated from (seed, kind, indexes) and fixed for all epochs.

Every time here is Unix seconds. All of them fall before the dataset's "today" (local midnight
after end_date in the account's zone); changes made by `advance` come later (see epochs.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from meta_ads_sandbox import attribution, vocab
from meta_ads_sandbox.config import DatasetConfig
from meta_ads_sandbox.money import ACCOUNT_LOCALES, minor_per_usd, round_minor
from meta_ads_sandbox.rng import Rng, h64
from meta_ads_sandbox.timeutil import DAY, midnight

HOUR = 3600
INACTIVE = ("PAUSED", "DELETED", "ARCHIVED")


@dataclass(frozen=True)
class AccountCore:
    """One ad account."""

    index: int
    name: str
    currency: str
    tz: str
    timezone_id: int
    created: int
    today: int  # local midnight after end_date
    status: int  # account_status
    disabled: int | None  # when a disabled account stopped delivering
    business: int | None
    personal: bool


@dataclass(frozen=True)
class CampaignCore:
    """One campaign."""

    key: tuple[int, int]
    name: str
    objective: str
    status: str
    created: int
    updated: int  # also when the status last changed
    start: int
    stop: int | None
    budget_kind: str | None  # "daily" / "lifetime" when the campaign holds the budget (CBO)
    budget: int
    bid_strategy: str
    buying_type: str
    special: tuple[str, ...]
    pacing: str
    spend_cap: int | None
    issue: bool

    @property
    def frozen(self) -> int | None:
        """When the campaign was deleted or archived (children cannot change after that)."""
        return self.updated if self.status in ("DELETED", "ARCHIVED") else None


@dataclass(frozen=True)
class AdSetCore:
    """One ad set."""

    key: tuple[int, int, int]
    name: str
    status: str
    created: int
    updated: int
    start: int
    end: int | None
    budget_kind: str | None
    budget: int
    bid_strategy: str | None
    bid_amount: int | None
    goal: str
    billing: str
    destination: str
    promoted: str
    countries: tuple[str, ...]
    age_min: int
    age_max: int
    genders: tuple[int, ...]
    platforms: tuple[str, ...]
    dynamic: bool
    learning: str
    interests: tuple[int, ...]
    attribution: str = "7d_click_1d_view"  # the attribution setting (attribution.SETTINGS)

    @property
    def frozen(self) -> int | None:
        return self.updated if self.status in ("DELETED", "ARCHIVED") else None


@dataclass(frozen=True)
class AdCore:
    """One ad (and its creative)."""

    key: tuple[int, int, int, int]
    name: str
    status: str
    created: int
    updated: int
    video: int | None  # index of the account's video, for video ads
    image: int  # index of the account's image
    headline: int
    body: int
    domain: int
    cta: int
    level: float  # typical daily impressions
    ctr: float
    cpm_usd: float
    conv_rate: float
    order_value_usd: float


def images_in(config: DatasetConfig, account: int) -> int:
    """Ad images per account (3-6)."""
    return 3 + h64(config.seed, "n-images", account) % 4


def videos_in(config: DatasetConfig, account: int) -> int:
    """Ad videos per account (2-4)."""
    return 2 + h64(config.seed, "n-videos", account) % 3


def audiences_in(config: DatasetConfig, account: int) -> int:
    """Custom audiences per account (3-6)."""
    return 3 + h64(config.seed, "n-audiences", account) % 4


def businesses_in(config: DatasetConfig) -> int:
    """Businesses owning the accounts (1 or 2)."""
    return 1 if config.accounts < 3 else 2


def make_account(config: DatasetConfig, a: int) -> AccountCore:
    """The facts of 0-based account `a`."""
    r = Rng(config.seed, "account", a)
    currency, tz, tz_id = ACCOUNT_LOCALES[a % len(ACCOUNT_LOCALES)]
    today = midnight(config.last_day + timedelta(days=1), tz)
    status = 1
    if a >= 3:
        status = r.weighted(((1, 0.88), (2, 0.07), (3, 0.05)))
    personal = a % 7 == 6
    nb = businesses_in(config)
    business = None if personal else min(nb - 1, a * nb // config.accounts)
    brand = vocab.BRANDS[(a + config.seed) % len(vocab.BRANDS)]
    return AccountCore(
        index=a,
        name=f"{brand} {r.choice(vocab.ACCOUNT_SUFFIXES)} {a + 1}",
        currency=currency,
        tz=tz,
        timezone_id=tz_id,
        created=today - int(r.between(700, 2200) * DAY),
        today=today,
        status=status,
        disabled=today - int(r.between(5, 40) * DAY) if status == 2 else None,
        business=business,
        personal=personal,
    )


def _span(r: Rng, start: int, end: int, low: float = 0.0, high: float = 1.0) -> int:
    """A time between start and end (fractions low..high of the gap), to the minute."""
    t = start + int(max(0, end - start) * r.between(low, high))
    return t - t % 60


def _changed(r: Rng, created: int, limit: int, days: int) -> int:
    """When an object was last changed: often within the insights history, else any time."""
    if r.chance(0.6):
        t = limit - int(r.between(0, days) * DAY)
        t -= t % 60
        return min(limit, max(created + 60, t))
    return _span(r, created + 60, limit, 0.05, 1.0)


def make_campaign(config: DatasetConfig, acct: AccountCore, c: int) -> CampaignCore:
    """The facts of campaign `c` of an account."""
    r = Rng(config.seed, "campaign", acct.index, c)
    objective = r.weighted(vocab.OBJECTIVES)
    if r.chance(0.35):
        created = acct.today - int(r.between(400, 1000) * DAY)
    else:
        created = acct.today - int(r.between(3, config.days + 45) * DAY)
    created = max(created, acct.created + DAY)
    created -= created % 60
    status = r.weighted(vocab.STATUSES)
    updated = _changed(r, created, acct.today - HOUR, config.days)
    start = created + 60 * r.integer(1, 360)
    stop = start + int(r.between(7, 150) * DAY) if r.chance(0.25) else None
    per_usd = minor_per_usd(acct.currency)
    budget_kind = None
    budget = 0
    if r.chance(0.4):
        budget_kind = "daily" if r.chance(0.65) else "lifetime"
        usd = r.between(20, 500) if budget_kind == "daily" else r.between(1000, 20000)
        budget = round_minor(usd * per_usd, acct.currency)
    bid = r.weighted(vocab.BID_STRATEGIES)
    if objective == "OUTCOME_SALES" and r.chance(0.1):
        bid = "LOWEST_COST_WITH_MIN_ROAS"
    special: tuple[str, ...] = ()
    if r.chance(0.08):
        special = (r.choice(("HOUSING", "EMPLOYMENT", "CREDIT")),)
    theme = vocab.THEMES[r.integer(0, len(vocab.THEMES) - 1)]
    year = datetime.fromtimestamp(created, UTC).year
    return CampaignCore(
        key=(acct.index, c),
        name=f"{theme} {year} | {objective.removeprefix('OUTCOME_').title()} | C{c + 1}",
        objective=objective,
        status=status,
        created=created,
        updated=updated,
        start=start,
        stop=stop,
        budget_kind=budget_kind,
        budget=budget,
        bid_strategy=bid,
        buying_type="AUCTION" if r.chance(0.97) else "RESERVED",
        special=special,
        pacing="standard" if r.chance(0.9) else "no_pacing",
        spend_cap=round_minor(r.between(5000, 50000) * per_usd, acct.currency)
        if r.chance(0.15)
        else None,
        issue=status == "ACTIVE" and r.chance(0.04),
    )


def make_adset(config: DatasetConfig, acct: AccountCore, camp: CampaignCore, s: int) -> AdSetCore:
    """The facts of ad set `s` of a campaign."""
    r = Rng(config.seed, "adset", acct.index, camp.key[1], s)
    limit = camp.frozen or acct.today - HOUR
    created = _span(r, camp.created, min(limit, camp.created + 7 * DAY), 0.0, 1.0)
    status = r.weighted(vocab.STATUSES)
    updated = _changed(r, created, limit, config.days) if limit > created else created
    start = max(created, camp.start) + 60 * r.integer(0, 120)
    budget_kind = None
    budget = 0
    per_usd = minor_per_usd(acct.currency)
    if camp.budget_kind is None:
        budget_kind = "daily" if r.chance(0.75) else "lifetime"
        usd = r.between(10, 200) if budget_kind == "daily" else r.between(500, 8000)
        budget = round_minor(usd * per_usd, acct.currency)
    end = None
    if budget_kind == "lifetime":
        end = start + int(r.between(14, 120) * DAY)
    elif r.chance(0.15):
        end = start + int(r.between(7, 90) * DAY)
    bid_strategy = None if camp.budget_kind else r.weighted(vocab.BID_STRATEGIES)
    strategy = bid_strategy or camp.bid_strategy
    bid_amount = None
    if strategy in ("COST_CAP", "LOWEST_COST_WITH_BID_CAP"):
        bid_amount = round_minor(r.between(0.5, 25) * per_usd, acct.currency)
    goal, billing, destination, promoted = r.choice(vocab.GOALS[camp.objective])
    home = vocab.HOME_COUNTRIES.get(acct.currency, "US")
    countries = {home}
    if r.chance(0.4):
        countries.update(r.sample(vocab.NEIGHBOURS, r.integer(1, 3)))
    platforms = ["facebook", "instagram"]
    if r.chance(0.4):
        platforms.append("audience_network")
    if r.chance(0.3):
        platforms.append("messenger")
    genders: tuple[int, ...] = ()
    if r.chance(0.25):
        genders = (r.integer(1, 2),)
    learning = r.weighted((("SUCCESS", 0.7), ("LEARNING", 0.2), ("FAIL", 0.1)))
    interests: tuple[int, ...] = ()
    if r.chance(0.45):
        interests = tuple(r.sample(range(len(vocab.INTERESTS)), r.integer(1, 3)))
    label = vocab.AUDIENCE_LABELS[r.integer(0, len(vocab.AUDIENCE_LABELS) - 1)]
    return AdSetCore(
        key=(acct.index, camp.key[1], s),
        name=f"{'/'.join(sorted(countries))} | {label} | S{s + 1}",
        status=status,
        created=created,
        updated=max(updated, created),
        start=start,
        end=end,
        budget_kind=budget_kind,
        budget=budget,
        bid_strategy=bid_strategy,
        bid_amount=bid_amount,
        goal=goal,
        billing=billing,
        destination=destination,
        promoted=promoted,
        countries=tuple(sorted(countries)),
        age_min=r.choice((18, 18, 21, 25)),
        age_max=r.choice((65, 65, 54, 44)),
        genders=genders,
        platforms=tuple(platforms),
        dynamic=r.chance(0.1),
        learning=learning,
        interests=interests,
        attribution=attribution.pick(config.seed, (acct.index, camp.key[1], s), goal),
    )


def make_ad(
    config: DatasetConfig,
    acct: AccountCore,
    camp: CampaignCore,
    adset: AdSetCore,
    d: int,
) -> AdCore:
    """The facts of ad `d` of an ad set."""
    a, c, s = adset.key
    r = Rng(config.seed, "ad", a, c, s, d)
    limit = adset.frozen or camp.frozen or acct.today - HOUR
    limit = min(limit, camp.frozen or limit)
    created = _span(r, adset.created, min(limit, adset.created + 5 * DAY), 0.0, 1.0)
    status = r.weighted(vocab.STATUSES)
    updated = _changed(r, created, limit, config.days) if limit > created else created
    video = None
    if adset.goal == "THRUPLAY" or r.chance(0.25):
        video = r.integer(0, videos_in(config, a) - 1)
    fmt = "Video 15s" if video is not None else r.choice(vocab.AD_FORMATS[:2])
    awareness = camp.objective in ("OUTCOME_AWARENESS", "OUTCOME_ENGAGEMENT")
    return AdCore(
        key=(a, c, s, d),
        name=f"{fmt} | {vocab.HEADLINES[(c + s + d) % len(vocab.HEADLINES)]} | A{d + 1}",
        status=status,
        created=created,
        updated=max(updated, created),
        video=video,
        image=image_of(config, a, c, s, d),
        headline=r.integer(0, len(vocab.HEADLINES) - 1),
        body=r.integer(0, len(vocab.BODIES) - 1),
        domain=r.integer(0, len(vocab.DOMAINS) - 1),
        cta=r.integer(0, len(vocab.CALL_TO_ACTIONS) - 1),
        level=200 * 10 ** (2 * r.unit()) * (2.0 if awareness else 1.0),
        ctr=r.between(0.004, 0.03) * (0.5 if awareness else 1.0),
        cpm_usd=r.between(3.0, 16.0) * (0.6 if awareness else 1.0),
        conv_rate=r.between(0.01, 0.08),
        order_value_usd=r.between(25, 180),
    )


def image_of(config: DatasetConfig, a: int, c: int, s: int, d: int) -> int:
    """Which of the account's images an ad's creative uses (a pure hash, no generation)."""
    return h64(config.seed, "ad-image", a, c, s, d) % images_in(config, a)


def ad_window(
    acct: AccountCore, camp: CampaignCore, adset: AdSetCore, ad: AdCore
) -> tuple[int, int]:
    """[start, stop) in Unix seconds during which the ad delivered (stop <= today)."""
    start = max(ad.created, adset.start, camp.start)
    stops = [acct.today]
    for status, changed in ((ad.status, ad.updated), (adset.status, adset.updated)):
        if status in INACTIVE:
            stops.append(changed)
    if camp.status in INACTIVE:
        stops.append(camp.updated)
    for bound in (adset.end, camp.stop, acct.disabled):
        if bound is not None:
            stops.append(bound)
    return start, min(stops)


def user_name(token: str) -> str:
    """The display name of the system user behind a token.

    Distinct per token but never the token itself: Meta does not echo credentials in data,
    and the sandbox's token names are the tokens.
    """
    label = vocab.PERSON_NAMES[h64("user-name", token) % len(vocab.PERSON_NAMES)]
    return f"{label} System User ({h64('user-tag', token) % 10_000:04d})"
