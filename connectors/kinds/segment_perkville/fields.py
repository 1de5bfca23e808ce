from connectors.kinds.base import FieldType, SettingField

FIELDS = (
    SettingField(
        "api_base_url",
        "Perkville API base URL",
        FieldType.URL,
        default="https://api.perkville.com",
    ),
    SettingField("api_token", "Perkville API token", FieldType.SECRET,
                 help_text='Perkville → Settings → Apps → Connect Segment → "Generate Token".'),
    SettingField("business_id", "Perkville business id"),
    SettingField("location_id", "Perkville location id", required=False),
    SettingField("send_email", "Send Perkville's points email", FieldType.BOOLEAN, default=False),
    SettingField(
        "event_perk_map",
        "Event → perk map",
        FieldType.MAPPING,
        default={},
        help_text='Allow-listed Segment event names and the perk each earns, e.g. {"Order Completed": "12345"}.',
    ),
    SettingField(
        "audience_perk_map",
        "Audience → perk map",
        FieldType.MAPPING,
        required=False,
        default={},
        help_text="Engage audience keys that award a perk on entry. Empty: audiences are recorded only.",
    ),
)
