import base64

from connectors.redaction import headers_secrets_redact, text_redact

WRITE_KEY = "wk-Segment-9f3a"


def test_every_form_of_a_secret_is_redacted():
    basic = base64.b64encode(f"{WRITE_KEY}:".encode()).decode()  # Segment's Basic credentials: "writekey:"
    alone = base64.b64encode(WRITE_KEY.encode()).decode()
    echoed = (
        f'{{"writeKey":"{WRITE_KEY}","auth":"Basic {basic}","b64":"{alone}",'
        f'"query":"verification_token=wk-Segment-9f3a%2F","plus":"a+b"}}'
    )

    redacted = text_redact(echoed, {"segment_write_key": WRITE_KEY, "token": "wk-Segment-9f3a/"})

    assert redacted == (
        '{"writeKey":"[redacted]","auth":"Basic [redacted]","b64":"[redacted]",'
        '"query":"verification_token=[redacted]","plus":"a+b"}'
    )


def test_base64_without_padding_and_url_safe_is_redacted():
    # "wk?>:" has a "?" and ">" so standard and url-safe base64 differ ("/" against "_").
    secret = "wk??>>"
    standard = base64.b64encode(secret.encode()).decode().rstrip("=")
    urlsafe = base64.urlsafe_b64encode(secret.encode()).decode().rstrip("=")
    assert standard != urlsafe

    assert text_redact(f"{standard} {urlsafe}", [secret]) == "[redacted] [redacted]"


def test_a_text_cut_in_the_middle_of_a_secret_loses_its_end():
    # The first 9 of the key's 15 characters end the text: 9 >= 4, the shortest looked for.
    cut = "echo: " + WRITE_KEY[:9]

    assert text_redact(cut, [WRITE_KEY], cut=True) == "echo: [redacted]"
    assert text_redact(cut, [WRITE_KEY]) == cut  # not cut: an ordinary end is kept


def test_short_values_and_empty_secrets_are_not_looked_for():
    text = "abc is not a secret"

    assert text_redact(text, {"pin": "abc", "empty": ""}) == text
    assert text_redact(text, {}) == text


def test_header_values_are_redacted_and_names_kept():
    headers = {"X-Echo-Authorization": f"Bearer {WRITE_KEY}", "Content-Type": "application/json"}

    assert headers_secrets_redact(headers, [WRITE_KEY]) == {
        "X-Echo-Authorization": "Bearer [redacted]",
        "Content-Type": "application/json",
    }
