from connectors.kinds.base import FieldType, SettingField

# developers.everflow.io: the Network API's base; EU accounts use https://api-eu.eflow.team.
DEFAULT_API_BASE_URL = "https://api.eflow.team"

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
        '"Purchase": 24}, sent as adv_event_id. 0 is the base conversion. Events not listed are ignored.',
    ),
    SettingField(
        "refund_events",
        "Refund events",
        required=False,
        default="",
        help_text="Order Refunded and Order Cancelled always reject the click's conversion; list other Segment "
        "event names that should, comma-separated (e.g. Order Returned, Chargeback). A refund is never "
        "posted as a sale.",
    ),
    SettingField(
        "api_key",
        "Everflow network API key",
        FieldType.SECRET,
        required=False,
        help_text="Control Center → Security → API keys. Needed for refunds: they reject the conversion "
        "through Everflow's API (a partial refund rejects it too: the API changes a sale amount only by "
        "the conversion's own id, which Segment does not carry).",
    ),
    SettingField(
        "api_base_url",
        "Everflow API base URL",
        FieldType.URL,
        required=False,
        default=DEFAULT_API_BASE_URL,
        help_text="https://api.eflow.team, or https://api-eu.eflow.team for EU accounts. Refunds are sent "
        "to {this}/v1/networks/reporting/conversions/{transaction id}.",
    ),
)
