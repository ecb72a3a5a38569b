"""Words and icons the synthesized pages are made of."""

from __future__ import annotations

BUTTONS = [
    ("Save", "saves the current document"),
    ("Cancel", "discards the changes"),
    ("Delete", "removes the selected item"),
    ("Export", "exports the data to a file"),
    ("Import", "loads data from a file"),
    ("Share", "shares the item with other people"),
    ("Print", "prints the page"),
    ("Refresh", "reloads the content"),
    ("Submit", "sends the form"),
    ("Upload", "uploads a file"),
    ("Duplicate", "makes a copy of the item"),
    ("Archive", "moves the item to the archive"),
    ("Rename", "changes the item's name"),
    ("Publish", "makes the draft public"),
    ("Undo", "reverts the last action"),
    ("Apply", "applies the settings"),
]

# name -> (svg body on a 24x24 grid, appearance, function)
ICONS = {
    "search": (
        '<circle cx="10" cy="10" r="6"/><line x1="15" y1="15" x2="21" y2="21"/>',
        "a magnifying glass icon",
        "searches",
    ),
    "close": (
        '<line x1="5" y1="5" x2="19" y2="19"/><line x1="19" y1="5" x2="5" y2="19"/>',
        "an X-shaped icon",
        "closes the panel",
    ),
    "add": (
        '<line x1="12" y1="4" x2="12" y2="20"/><line x1="4" y1="12" x2="20" y2="12"/>',
        "a plus-sign icon",
        "adds a new item",
    ),
    "home": (
        '<path d="M3 11 L12 3 L21 11"/><path d="M6 10 V20 H18 V10"/>',
        "a house-shaped icon",
        "goes to the home page",
    ),
    "trash": (
        '<path d="M4 7 H20"/><path d="M7 7 L8 20 H16 L17 7"/><path d="M10 4 H14"/>',
        "a trash-can icon",
        "deletes",
    ),
    "heart": (
        '<path d="M12 20 L4 12 A4.5 4.5 0 0 1 12 6 A4.5 4.5 0 0 1 20 12 Z"/>',
        "a heart-shaped icon",
        "adds to favourites",
    ),
    "star": (
        '<path d="M12 3 L14.5 9 L21 9.5 L16 14 L17.5 20.5 L12 17 L6.5 20.5 L8 14 L3 9.5 L9.5 9 Z"/>',
        "a star icon",
        "rates the item",
    ),
    "bell": (
        '<path d="M6 16 V11 A6 6 0 0 1 18 11 V16 L20 18 H4 Z"/><path d="M10 21 H14"/>',
        "a bell icon",
        "shows notifications",
    ),
    "download": (
        '<line x1="12" y1="4" x2="12" y2="15"/><path d="M7 10 L12 15 L17 10"/><line x1="5" y1="20" x2="19" y2="20"/>',
        "a downward arrow over a line",
        "downloads the file",
    ),
    "menu": (
        '<line x1="4" y1="6" x2="20" y2="6"/><line x1="4" y1="12" x2="20" y2="12"/><line x1="4" y1="18" x2="20" y2="18"/>',
        "an icon of three horizontal lines",
        "opens the main menu",
    ),
    "next": (
        '<line x1="4" y1="12" x2="19" y2="12"/><path d="M13 6 L19 12 L13 18"/>',
        "a right-pointing arrow",
        "goes to the next page",
    ),
    "lock": (
        '<rect x="5" y="11" width="14" height="10" rx="1"/><path d="M8 11 V8 A4 4 0 0 1 16 8 V11"/>',
        "a padlock icon",
        "locks the document",
    ),
}

CHECKBOXES = [
    "Remember me",
    "Enable notifications",
    "Show hidden files",
    "Send weekly report",
    "Auto-save",
    "Use dark mode",
    "Accept the terms",
    "Subscribe to updates",
    "Open links in new tab",
    "Spell check",
]

TOGGLES = [
    ("Wi-Fi", "turns wireless networking on or off"),
    ("Bluetooth", "turns Bluetooth on or off"),
    ("Airplane mode", "disables all radios"),
    ("Location", "shares your location"),
    ("Sync", "keeps devices in sync"),
    ("Do not disturb", "silences notifications"),
]

OPTIONS = [
    "Small",
    "Medium",
    "Large",
    "Daily",
    "Weekly",
    "Monthly",
    "English",
    "French",
    "German",
    "Public",
    "Private",
    "Team only",
    "Euro",
    "Dollar",
    "Yen",
    "Light",
    "Dark",
    "Automatic",
]

TEXT_FIELDS = [
    ("Email", "you@example.com"),
    ("Full name", "Jane Doe"),
    ("Password", "at least 8 characters"),
    ("Search", "Type to search"),
    ("Phone", "+1 555 0100"),
    ("City", "e.g. Lisbon"),
    ("Username", "pick a handle"),
    ("Company", "Acme Inc."),
]

TABS = [
    "Overview",
    "Activity",
    "Settings",
    "Members",
    "Billing",
    "Files",
    "History",
    "Reports",
    "Integrations",
]

MENU_ITEMS = [
    ("New window", "opens a new window"),
    ("Open recent", "lists recent files"),
    ("Preferences", "opens the preferences"),
    ("Keyboard shortcuts", "lists the shortcuts"),
    ("Check for updates", "looks for a newer version"),
    ("Sign out", "logs you out"),
    ("Help center", "opens the documentation"),
    ("Close tab", "closes the current tab"),
]


def _number(rng) -> str:
    return str(rng.randint(10, 999))


def _price(rng) -> str:
    return f"${rng.randint(1, 99)}.{rng.randint(0, 99):02d}"


def _name(rng) -> str:
    return rng.choice(
        ["Ana", "Ben", "Chen", "Dara", "Eli", "Fatma", "Goran", "Hana", "Ivo", "Jun", "Kofi", "Lena"]
    )


def _status(rng) -> str:
    return rng.choice(["Open", "Closed", "Pending", "Done", "Review"])


COLUMNS = [("Name", _name), ("Qty", _number), ("Price", _price), ("Status", _status), ("Code", _number)]

PARAGRAPH_WORDS = """the report shows steady growth across every region while costs remained flat through
the second quarter and customers asked for faster delivery better support clearer invoices simple
pricing reliable service modern design quick setup private storage shared folders weekly summary""".split()
