"""Word lists and enumerations the generator draws realistic values from."""

from __future__ import annotations

BRANDS = (
    "Northwind",
    "Bluefin",
    "Alder & Oak",
    "Kestrel",
    "Lumen",
    "Harbor Lane",
    "Copperleaf",
    "Tidewater",
    "Juniper",
    "Solstice",
    "Marlow",
    "Brightside",
)
ACCOUNT_SUFFIXES = ("Main", "Performance", "Brand", "Retargeting", "EU", "APAC", "Agency", "Test")
THEMES = (
    "Spring Sale",
    "Summer Launch",
    "Back to School",
    "Black Friday",
    "Holiday Gifting",
    "New Year",
    "Evergreen",
    "Brand Lift",
    "Clearance",
    "Loyalty",
    "App Install Push",
    "Lead Magnet",
)
AUDIENCE_LABELS = (
    "Broad",
    "Lookalike 1%",
    "Interests",
    "Retargeting 30d",
    "Advantage+",
    "Past Buyers",
)
AD_FORMATS = ("Carousel", "Single Image", "Video 15s", "Video 6s", "Collection", "Story")
HEADLINES = (
    "Free shipping this week",
    "New arrivals are here",
    "Save 20% today",
    "Made to last",
    "Try it risk-free",
    "Limited stock",
    "Your next favourite",
    "Get the guide",
)
BODIES = (
    "Discover the collection everyone is talking about.",
    "Built for everyday adventures. Shop now and save.",
    "Join thousands of happy customers.",
    "Sign up in 30 seconds and get instant access.",
    "Comfort you can feel from day one.",
    "Quality you can trust, prices you will love.",
)
DOMAINS = ("shop.example.com", "www.example.org", "store.example.net", "app.example.io")
CALL_TO_ACTIONS = ("SHOP_NOW", "LEARN_MORE", "SIGN_UP", "DOWNLOAD", "GET_OFFER", "BOOK_NOW")
VERTICALS = ("ECOMMERCE", "RETAIL", "TECHNOLOGY", "TRAVEL", "ENTERTAINMENT_AND_MEDIA")
PERSON_NAMES = ("Reporting", "Analytics", "Data Sync", "Warehouse Loader", "BI Export")

OBJECTIVES = (
    ("OUTCOME_SALES", 0.3),
    ("OUTCOME_TRAFFIC", 0.2),
    ("OUTCOME_LEADS", 0.15),
    ("OUTCOME_ENGAGEMENT", 0.13),
    ("OUTCOME_AWARENESS", 0.12),
    ("OUTCOME_APP_PROMOTION", 0.1),
)
STATUSES = (("ACTIVE", 0.6), ("PAUSED", 0.25), ("DELETED", 0.1), ("ARCHIVED", 0.05))

# objective -> choices of (optimization_goal, billing_event, destination_type, promoted kind)
GOALS: dict[str, tuple[tuple[str, str, str, str], ...]] = {
    "OUTCOME_SALES": (("OFFSITE_CONVERSIONS", "IMPRESSIONS", "WEBSITE", "PURCHASE"),),
    "OUTCOME_LEADS": (
        ("LEAD_GENERATION", "IMPRESSIONS", "ON_AD", "PAGE"),
        ("OFFSITE_CONVERSIONS", "IMPRESSIONS", "WEBSITE", "LEAD"),
    ),
    "OUTCOME_TRAFFIC": (
        ("LINK_CLICKS", "IMPRESSIONS", "WEBSITE", ""),
        ("LANDING_PAGE_VIEWS", "IMPRESSIONS", "WEBSITE", ""),
        ("LINK_CLICKS", "LINK_CLICKS", "WEBSITE", ""),
    ),
    "OUTCOME_ENGAGEMENT": (
        ("POST_ENGAGEMENT", "IMPRESSIONS", "ON_POST", ""),
        ("THRUPLAY", "IMPRESSIONS", "ON_VIDEO", ""),
    ),
    "OUTCOME_AWARENESS": (
        ("REACH", "IMPRESSIONS", "", ""),
        ("AD_RECALL_LIFT", "IMPRESSIONS", "", ""),
        ("THRUPLAY", "IMPRESSIONS", "", ""),
    ),
    "OUTCOME_APP_PROMOTION": (("APP_INSTALLS", "IMPRESSIONS", "APP", "APP"),),
}
BID_STRATEGIES = (
    ("LOWEST_COST_WITHOUT_CAP", 0.7),
    ("COST_CAP", 0.15),
    ("LOWEST_COST_WITH_BID_CAP", 0.15),
)

# Breakdown values.
AGES = ("13-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+")
GENDERS = ("female", "male", "unknown")
HOME_COUNTRIES = {
    "USD": "US",
    "EUR": "DE",
    "JPY": "JP",
    "KRW": "KR",
    "GBP": "GB",
    "BRL": "BR",
    "AUD": "AU",
    "CAD": "CA",
    "INR": "IN",
    "MXN": "MX",
    "HUF": "HU",
    "TWD": "TW",
    "SEK": "SE",
    "CLP": "CL",
}
NEIGHBOURS = ("US", "CA", "GB", "DE", "FR", "NL", "ES", "IT", "JP", "AU")
REGIONS = {
    "US": ("California", "Texas", "New York", "Florida", "Illinois"),
    "CA": ("Ontario", "Quebec", "British Columbia"),
    "GB": ("England", "Scotland", "Wales"),
    "DE": ("Bavaria", "Berlin", "Hamburg", "Hesse"),
    "FR": ("Ile-de-France", "Occitanie", "Brittany"),
    "NL": ("North Holland", "South Holland", "Utrecht"),
    "ES": ("Madrid", "Catalonia", "Andalusia"),
    "IT": ("Lombardy", "Lazio", "Veneto"),
    "JP": ("Tokyo", "Osaka", "Kanagawa", "Aichi"),
    "KR": ("Seoul", "Gyeonggi-do", "Busan"),
    "BR": ("Sao Paulo", "Rio de Janeiro", "Minas Gerais"),
    "AU": ("New South Wales", "Victoria", "Queensland"),
    "IN": ("Maharashtra", "Karnataka", "Delhi"),
    "MX": ("Mexico City", "Jalisco", "Nuevo Leon"),
    "HU": ("Budapest", "Pest", "Csongrad"),
    "TW": ("Taipei City", "New Taipei City", "Taichung City"),
    "SE": ("Stockholm County", "Vastra Gotaland County", "Skane County"),
    "CL": ("Santiago Metropolitan", "Valparaiso", "Biobio"),
}
POSITIONS = {
    "facebook": ("feed", "facebook_reels", "facebook_stories", "marketplace", "video_feeds"),
    "instagram": ("instagram_stories", "instagram_reels", "instagram_explore"),
    "audience_network": ("an_classic", "rewarded_video"),
    "messenger": ("messenger_inbox", "messenger_stories"),
}
# Targeting position lists use a different vocabulary than the insights breakdown values.
TARGETING_POSITIONS = {
    "facebook": ("feed", "facebook_reels", "story", "marketplace", "video_feeds"),
    "instagram": ("stream", "story", "reels", "explore"),
    "audience_network": ("classic", "rewarded_video"),
    "messenger": ("messenger_home", "story"),
}
DEVICE_PLATFORMS = ("mobile_app", "mobile_web", "desktop")
IMPRESSION_DEVICES = ("iphone", "android_smartphone", "ipad", "android_tablet", "desktop", "other")
ACTION_DEVICES = ("iphone", "android_smartphone", "desktop", "ipad", "other")
INTERESTS = (
    ("6003107902433", "Association football (Soccer)"),
    ("6003139266461", "Movies"),
    ("6003020834693", "Music"),
    ("6003384248805", "Fitness and wellness"),
    ("6003348604581", "Fashion accessories"),
    ("6003263791114", "Shopping"),
    ("6003277229526", "Travel"),
    ("6003397425735", "Cooking"),
)
AUDIENCE_SUBTYPES = ("CUSTOM", "WEBSITE", "LOOKALIKE", "ENGAGEMENT", "VIDEO")

# Breakdown shares (relative weights of the parts of a day's delivery).
PLATFORM_SHARE = {"facebook": 55, "instagram": 35, "audience_network": 7, "messenger": 3}
DEVICE_PLATFORM_SHARE = {"mobile_app": 75, "mobile_web": 10, "desktop": 15}
IMPRESSION_DEVICE_SHARE = {
    "iphone": 40,
    "android_smartphone": 38,
    "ipad": 4,
    "android_tablet": 3,
    "desktop": 13,
    "other": 2,
}
HOURS = tuple(f"{h:02d}:00:00 - {h:02d}:59:59" for h in range(24))
# Share of a day's impressions by hour (a day curve peaking in the evening).
HOUR_SHARE = (2, 1, 1, 1, 1, 2, 3, 5, 6, 6, 6, 6, 7, 6, 6, 6, 6, 7, 8, 9, 9, 8, 6, 4)
FREQUENCY_VALUES = ("1", "2", "3", "4", "5", "6-10", "11-20", "21+")
FREQUENCY_SHARE = (40, 20, 12, 8, 5, 9, 4, 2)
