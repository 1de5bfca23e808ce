from connectors.kinds.base import FieldType, SettingField

FIELDS = (
    SettingField(
        "api_base_url",
        "Perkville API base URL",
        FieldType.URL,
        default="https://api.perkville.com",
        help_text="Transactions are posted to {this}/v2/transactions/.",
    ),
    SettingField(
        "api_token",
        "Perkville API token",
        FieldType.SECRET,
        help_text='Perkville → Settings → Apps → Connect Segment → "Generate Token" → "Show token".',
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
