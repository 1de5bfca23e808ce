from connectors.kinds.base import FieldType, SettingField
from connectors.kinds.segment import SEGMENT_FIELDS

FIELDS = (
    SettingField("air_client_id", "AIR client id", help_text="The AIR API credentials EE Connect uses."),
    SettingField("air_client_secret", "AIR client secret", FieldType.SECRET),
    SettingField(
        "air_wallet_url",
        "AIR wallet domain URL",
        FieldType.URL,
        help_text="For example https://wallet.sandbox.uk.eagleeye.com; "
        "rewards go to {this}/services/trigger.",
    ),
    *SEGMENT_FIELDS,
    SettingField(
        "currency",
        "Currency",
        FieldType.CURRENCY,
        help_text="ISO 4217 code sent as the currency of purchases and refunds, such as GBP or USD.",
    ),
    SettingField(
        "identity_type",
        "Identity type",
        default="CUSTOMER_ID",
        help_text="The AIR identity type whose value becomes the Segment userId, "
        "such as CUSTOMER_ID, CARD or MOBILE.",
    ),
    SettingField(
        "amounts_in_minor_units",
        "AIR amounts are in minor units",
        FieldType.BOOLEAN,
        default=True,
        help_text="AIR baskets carry amounts in minor units (pence, cents). When ticked, totals and prices "
        "are divided by the currency's exponent (100 for GBP, 1 for JPY) before they are sent to Segment.",
    ),
    SettingField(
        "send_identify",
        "Also send an identify per event",
        FieldType.BOOLEAN,
        default=True,
        help_text="Segment profiles are updated by identify calls; "
        "send one with the loyalty traits per event.",
    ),
    SettingField(
        "refuse_unknown_triggers",
        "Refuse unknown trigger references",
        FieldType.BOOLEAN,
        default=False,
        help_text="When ticked, a Segment trigger naming a reference not registered for this connector is "
        "refused with 400 instead of being sent to AIR.",
    ),
    SettingField(
        "trigger_dedupe_window_seconds",
        "Count the same identity and triggers once within (seconds)",
        FieldType.INTEGER,
        default=0,
        help_text="0 (the default) sends every Segment trigger to AIR. Set it, for example to 60, when one "
        "Segment action sends the same trigger twice for one customer: typically an audience whose Eagle "
        "Eye destination has both Identify and Track enabled (Eagle Eye advises Track only). A trigger "
        "for the same identity and the same trigger references within this many seconds of one that was "
        "sent is stored as ignored, answered as a duplicate and not sent. Leave it at 0 when a customer "
        "may genuinely earn the same reward twice in quick succession.",
    ),
)
