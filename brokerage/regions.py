"""The four regions the events connect, for search filters and region-pair reports."""
EUROPE = frozenset(
    "AD AL AT BA BE BG BY CH CY CZ DE DK EE ES FI FO FR GB GI GR HR HU IE IS IT LI LT LU LV MC MD ME MK MT "
    "NL NO PL PT RO RS SE SI SK SM UA VA XK".split()
)
REGIONS = [("EU", "Europe"), ("US", "United States"), ("JP", "Japan"), ("KR", "Korea"), ("OTHER", "Other")]
REGION_NAMES = dict(REGIONS)
# The regions' main clocks, west to east (the US has two: windows for Asia are set on the West Coast's).
REGION_ZONES = ("America/Los_Angeles", "America/New_York", "Europe/Brussels", "Asia/Seoul", "Asia/Tokyo")


def region_of(country: str | None) -> str:
    code = (country or "").upper()
    if code in EUROPE:
        return "EU"
    if code in ("US", "JP", "KR"):
        return code
    return "OTHER"


def countries_in(region: str) -> frozenset[str] | None:
    """Country codes of a region; None for OTHER (everything not in the named four)."""
    if region == "EU":
        return EUROPE
    if region in ("US", "JP", "KR"):
        return frozenset([region])
    return None


def region_pair(a: str | None, b: str | None) -> str:
    """'EU-JP': fixed order so EU-JP and JP-EU count together."""
    order = [code for code, _ in REGIONS]
    ra, rb = sorted((region_of(a), region_of(b)), key=order.index)
    return f"{ra}-{rb}"
