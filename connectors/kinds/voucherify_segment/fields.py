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
        "Keys work only on their own project's region. The metadata schema is read from it.",
    ),
    SettingField(
        "voucherify_segment_url",
        "Custom Voucherify URL (override)",
        FieldType.URL,
        required=False,
        help_text="Where Segment data is sent (Voucherify's Segment integration, metered as webhook calls). "
        "Leave blank to use the API endpoint with api replaced by segmentio "
        "(https://us1.api.voucherify.io → https://us1.segmentio.voucherify.io); set it for a dedicated URL.",
    ),
    SettingField(
        "voucherify_app_id",
        "Voucherify application id",
        help_text="Project Settings → General → Integration keys: create a key with Integration = Segment.",
    ),
    SettingField("voucherify_app_token", "Voucherify secret key", FieldType.SECRET),
    SettingField(
        "voucherify_webhook_secret",
        "Voucherify webhook secret",
        FieldType.SECRET,
        help_text="Project Settings → Webhooks; signs every webhook (x-voucherify-signature). Webhooks "
        "are refused while it is blank.",
    ),
    SettingField(
        "voucherify_raw_event",
        "Raw-payload webhooks are",
        FieldType.CHOICE,
        default="customer.segment.entered",
        # Distribution triggers whose payload carries the customer (Voucherify docs
        # api-reference/distribution-webhooks.mdx, "Webhooks available in Distributions").
        choices=(
            ("customer.segment.entered", "Customer entered segment"),
            ("customer.segment.left", "Customer left segment"),
            ("redemption.succeeded", "Voucher redeemed"),
            ("redemption.rollback.succeeded", "Voucher redemption rolled back"),
            ("publication.succeeded", "Successfully published"),
            ("customer.rewarded", "Reward redeemed"),
            ("customer.rewarded.loyalty_points", "Customer rewarded loyalty points"),
            ("reward_redemptions.completed", "Reward redemption completed"),
        ),
        help_text='A distribution webhook sent with "Raw payload" ticked carries no event name: choose the '
        "trigger of the distribution that sends raw payloads here. Webhooks with their envelope name "
        "their own event, so one connector can take any number of them.",
    ),
    *SEGMENT_FIELDS,
    SettingField(
        "voucherify_metadata_schema",
        "Customer metadata schema read from Voucherify",
        FieldType.MAPPING,
        required=False,
        default={},
        help_text='Filled by "Read the metadata schema from Voucherify" on this page (GET '
        "/v1/metadata-schemas/customer) and kept until read again; correct it with the override below, "
        "not here.",
    ),
    SettingField(
        "metadata_schema",
        "Customer metadata schema override",
        FieldType.MAPPING,
        required=False,
        default={},
        help_text='Keys that replace or add to the schema read from Voucherify, e.g. {"tier": "string", '
        '"vip": "boolean"}; types: string, number, boolean, date, datetime, image_url, object, '
        'and "<type>[]" for lists. Keys in neither, or of another type, are not sent (the delivery notes '
        "which).",
    ),
)
