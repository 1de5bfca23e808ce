from connectors.kinds.base import FieldType, SettingField

FIELDS = (
    SettingField(
        "api_base_url",
        "Perkville API base URL",
        FieldType.URL,
        default="https://api.perkville.com",
        help_text="Transactions are posted to {this}/v2/transactions/. Perkville publishes no contract for "
        "the transaction body: the fields sent (business, location, perk, quantity, email, send_email, "
        "trans_source_id) follow the public evidence the README names; confirm them with Perkville.",
    ),
    SettingField(
        "api_token",
        "Perkville API token",
        FieldType.SECRET,
        help_text='Perkville → Settings → Apps → Connect Segment → "Generate Token" → "Show token".',
    ),
    SettingField(
        "refund_events",
        "Refund events",
        required=False,
        default="",
        help_text="Order Refunded always removes the points it names; list other Segment event names that "
        "should, comma-separated (e.g. Order Returned). A name that merely contains \"refund\" is a sale. "
        "A refund must also be in the event → perk map.",
    ),
    SettingField("business_id", "Perkville business id", help_text="Ask support@perkville.com."),
    SettingField("location_id", "Perkville location id", help_text="Ask support@perkville.com."),
    SettingField(
        "send_email",
        "Send Perkville's transaction email",
        FieldType.BOOLEAN,
        default=False,
        help_text="When ticked, Perkville emails the event's address whenever points are posted.",
    ),
    SettingField(
        "event_perk_map",
        "Event → perk map",
        FieldType.MAPPING,
        default={},
        help_text="Allow-listed Segment track event names and the perk each earns, "
        'e.g. {"Checked In": 123456}. Other events are ignored.',
    ),
    SettingField(
        "audience_perk_map",
        "Audience → perk map",
        FieldType.MAPPING,
        required=False,
        default={},
        help_text="Engage audience keys (snake_cased audience names) that award a perk on entry, e.g. "
        '{"order_completed_last_30days": 123457}. Empty: audience changes are recorded only.',
    ),
)
