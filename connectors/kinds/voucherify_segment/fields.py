from connectors.kinds.base import FieldType, SettingField
from connectors.kinds.segment import SEGMENT_FIELDS

FIELDS = (
    SettingField(
        "voucherify_api_url",
        "Voucherify API endpoint",
        FieldType.URL,
        default="https://api.voucherify.io",
        help_text="Voucherify → Project Settings → General → API endpoint (regional or dedicated).",
    ),
    SettingField("voucherify_app_id", "Voucherify application id", help_text="Project Settings → Integration keys."),
    SettingField("voucherify_app_token", "Voucherify secret key", FieldType.SECRET),
    SettingField(
        "voucherify_webhook_secret",
        "Voucherify webhook secret",
        FieldType.SECRET,
        help_text="Project Settings → Webhooks; signs every webhook (x-voucherify-signature).",
    ),
    *SEGMENT_FIELDS,
    SettingField(
        "metadata_schema",
        "Customer metadata schema",
        FieldType.MAPPING,
        required=False,
        default={},
        help_text='Metadata keys defined in Voucherify and their types, e.g. {"tier": "string", "vip": "boolean"}. '
        "Keys not listed, or of another type, are not sent.",
    ),
)
