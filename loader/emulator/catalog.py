"""Static vocabularies for generated data: metrics and their integrations, names, places, products."""

from __future__ import annotations

INTEGRATIONS: dict[str, dict[str, str]] = {
    "Shopify": {"object": "integration", "id": "0eMvjm", "name": "Shopify", "category": "eCommerce"},
    "Klaviyo": {"object": "integration", "id": "0rG4eQ", "name": "Klaviyo", "category": "Internal"},
    "API": {"object": "integration", "id": "7FtS4J", "name": "API", "category": "API"},
    "WooCommerce": {"object": "integration", "id": "Wv8Zf2", "name": "WooCommerce", "category": "eCommerce"},
}

# (name, integration, relative event weight); the first entries are always present.
METRICS: tuple[tuple[str, str, int], ...] = (
    ("Placed Order", "Shopify", 6),
    ("Received Email", "Klaviyo", 30),
    ("Active on Site", "API", 20),
    ("Opened Email", "Klaviyo", 14),
    ("Ordered Product", "Shopify", 8),
    ("Clicked Email", "Klaviyo", 5),
    ("Viewed Product", "API", 12),
    ("Started Checkout", "Shopify", 4),
    ("Fulfilled Order", "Shopify", 3),
    ("Subscribed to List", "Klaviyo", 2),
    ("Unsubscribed", "Klaviyo", 1),
    ("Order Completed", "WooCommerce", 3),
    ("Received SMS", "Klaviyo", 4),
    ("Clicked SMS", "Klaviyo", 1),
    ("Added to Cart", "API", 5),
    ("Refunded Order", "Shopify", 1),
    ("Cancelled Order", "Shopify", 1),
    ("Marked Email as Spam", "Klaviyo", 1),
    ("Bounced Email", "Klaviyo", 1),
    ("Viewed Page", "WooCommerce", 3),
    ("Unsubscribed from SMS", "Klaviyo", 1),
)
ORDER_METRICS = frozenset(
    {"Placed Order", "Ordered Product", "Started Checkout", "Fulfilled Order", "Order Completed",
     "Refunded Order", "Cancelled Order", "Added to Cart"}
)
# Engagement metrics (Klaviyo's standard names) and the channel of the message each event names in
# `event_properties.$message`; ATTRIBUTING ones may be credited with a later `Placed Order`.
ENGAGEMENT_CHANNEL: dict[str, str] = {
    "Received Email": "email", "Opened Email": "email", "Clicked Email": "email", "Bounced Email": "email",
    "Unsubscribed": "email", "Marked Email as Spam": "email",
    "Received SMS": "sms", "Clicked SMS": "sms", "Unsubscribed from SMS": "sms",
}
ATTRIBUTING = frozenset({"Opened Email", "Clicked Email", "Clicked SMS"})
CONVERSION = "Placed Order"
EMAIL_METRICS = frozenset(
    {"Received Email", "Opened Email", "Clicked Email", "Marked Email as Spam", "Bounced Email",
     "Unsubscribed"}
)

FIRST_NAMES = ("Sarah", "James", "Maria", "Wei", "Aisha", "Lukas", "Sofia", "Kenji", "Olivia", "Mateo",
               "Amara", "Noah", "Elif", "Ravi", "Chloe", "Diego")
LAST_NAMES = ("Mason", "Smith", "Garcia", "Chen", "Khan", "Muller", "Rossi", "Tanaka", "Brown", "Silva",
              "Okafor", "Jones", "Yilmaz", "Patel", "Martin", "Lopez")
PLACES = (
    ("New York", "NY", "United States", "10017", "America/New_York", 40.7128, -74.0060, "en-US"),
    ("Boston", "MA", "United States", "02108", "America/New_York", 42.3601, -71.0589, "en-US"),
    ("Austin", "TX", "United States", "73301", "America/Chicago", 30.2672, -97.7431, "en-US"),
    ("San Francisco", "CA", "United States", "94103", "America/Los_Angeles", 37.7749, -122.4194, "en-US"),
    ("Toronto", "ON", "Canada", "M5H 2N2", "America/Toronto", 43.6532, -79.3832, "en-CA"),
    ("London", "England", "United Kingdom", "SW1A 1AA", "Europe/London", 51.5072, -0.1276, "en-GB"),
    ("Berlin", "Berlin", "Germany", "10115", "Europe/Berlin", 52.5200, 13.4050, "de-DE"),
    ("Paris", "Ile-de-France", "France", "75001", "Europe/Paris", 48.8566, 2.3522, "fr-FR"),
    ("Sydney", "NSW", "Australia", "2000", "Australia/Sydney", -33.8688, 151.2093, "en-AU"),
    ("Tokyo", "Tokyo", "Japan", "100-0001", "Asia/Tokyo", 35.6762, 139.6503, "ja-JP"),
)
PRODUCTS = (("Canvas Tote", 24.0), ("Wool Beanie", 19.5), ("Trail Runner", 129.99),
            ("Coffee Beans 1kg", 32.0), ("Linen Shirt", 58.0), ("Ceramic Mug", 14.25), ("Yoga Mat", 45.0),
            ("Desk Lamp", 74.9))
SUBJECTS = ("Welcome to the club", "Your cart misses you", "New arrivals this week", "Last chance: 20% off",
            "Thanks for your order", "We picked these for you")
SOURCES = ("Email Signup Form", "Checkout", "Footer Form", "Pop-up", "Import")
CONSENTS = ("SUBSCRIBED", "UNSUBSCRIBED", "NEVER_SUBSCRIBED")

# Marketing objects
CAMPAIGN_THEMES = ("Spring Sale", "New Arrivals", "Weekend Flash Sale", "Holiday Gift Guide",
                   "Back in Stock", "VIP Early Access", "Summer Clearance", "Black Friday",
                   "Product Launch", "Monthly Newsletter")
CAMPAIGN_CHANNELS = ("email", "sms", "email", "mobile_push", "email", "sms")  # cycled by campaign index
FLOW_TEMPLATES = (("Welcome Series", "Added to List"), ("Abandoned Cart", "Metric"),
                  ("Browse Abandonment", "Metric"), ("Post-Purchase Thank You", "Metric"),
                  ("Birthday", "Date Based"), ("Win-Back", "Metric"), ("Price Drop Alert", "Price Drop"),
                  ("Low Inventory Reminder", "Low Inventory"))
SMS_BODIES = ("{org}: {theme} starts now! Shop: https://kl.vi/x{n}", "{org}: your cart is waiting. https://kl.vi/c{n}",
              "{org}: 20% off today only. Reply STOP to opt out", "{org}: thanks for your order!")
EMAIL_DOMAINS = ("gmail.com", "outlook.com", "example.com", "yahoo.com")
CARRIERS = ("Verizon", "T-Mobile", "AT&T", "Vodafone")
