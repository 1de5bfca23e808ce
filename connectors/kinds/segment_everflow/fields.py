from connectors.kinds.base import FieldType, SettingField

FIELDS = (
    SettingField(
        "tracking_domain",
        "Everflow tracking domain",
        FieldType.URL,
        help_text="Your Everflow tracking domain, e.g. https://www.example-tracking.com.",
    ),
    SettingField("network_id", "Everflow network id (nid)"),
    SettingField("api_key", "Everflow API key", FieldType.SECRET, required=False,
                 help_text="Control Center → Security → API keys. Needed for refunds and corrections."),
    SettingField(
        "event_map",
        "Event mapping",
        FieldType.MAPPING,
        default={},
        help_text='Segment event name → Everflow advertiser event id, e.g. {"Order Completed": 0}. '
        "0 is the base conversion. Events not listed are ignored.",
    ),
)
