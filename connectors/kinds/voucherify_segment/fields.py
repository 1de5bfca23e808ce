from connectors.kinds.base import FieldType, SettingField
from connectors.kinds.segment import SEGMENT_FIELDS

FIELDS = (
    SettingField(
        "voucherify_api_url",
        "Voucherify API endpoint",
        FieldType.URL,
        default="https://api.voucherify.io",
        help_text="Voucherify → Project Settings → General → API endpoint: "
        "https://api.voucherify.io (Europe), "
        "https://us1.api.voucherify.io (US), https://as1.api.voucherify.io (Asia) or a dedicated URL. "
        "Keys work only on their own project's region.",
    ),
    SettingField(
        "voucherify_app_id", "Voucherify application id", help_text="Project Settings → Integration keys."
    ),
    SettingField("voucherify_app_token", "Voucherify secret key", FieldType.SECRET),
    SettingField(
        "voucherify_webhook_secret",
        "Voucherify webhook secret",
        FieldType.SECRET,
        help_text="Project Settings → Webhooks; signs every webhook (x-voucherify-signature). Webhooks "
        "are refused while it is blank.",
    ),
    *SEGMENT_FIELDS,
    SettingField(
        "metadata_schema",
        "Customer metadata schema",
        FieldType.MAPPING,
        required=False,
        default={},
        help_text='Customer metadata keys defined in Voucherify and their types, e.g. {"tier": "string", '
        '"vip": "boolean"}; types: string, number, boolean, date, datetime, image_url, object, '
        'and "<type>[]" '
        "for lists. Keys not listed, or of another type, are not sent (the delivery notes which).",
    ),
)
