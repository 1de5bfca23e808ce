from connectors.kinds.base import FieldType, SettingField

FIELDS = (
    SettingField(
        "tracking_domain",
        "Everflow tracking domain",
        FieldType.URL,
        help_text="Your Everflow tracking domain, e.g. https://www.example-tracking.com. Conversions are "
        "posted to {this}/?nid=…&transaction_id=….",
    ),
    SettingField(
        "network_id",
        "Everflow network id (nid)",
        help_text="Control Center → Platform Configurations.",
    ),
    SettingField(
        "verification_token",
        "Everflow postback verification token",
        FieldType.SECRET,
        required=False,
        help_text="Only when the advertiser has verification tokens enabled; added to every postback "
        "at send time.",
    ),
    SettingField(
        "event_map",
        "Event mapping",
        FieldType.MAPPING,
        default={},
        help_text='Segment event name → Everflow advertiser (brand) event id, e.g. {"Order Completed": 0, '
        '"Purchase": 24}. 0 is the base conversion. Events not listed are ignored.',
    ),
)
