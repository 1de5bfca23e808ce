"""The credentials the sandbox upstreams accept.

These are not secrets: they exist so that the demo client's connectors and the end-to-end tests can
talk to the fake upstreams mounted at ``/sandbox/`` (only when ``settings.SANDBOX_ENABLED``). Any
other value is refused the way the real API refuses it (401).

==========  ===========================================  =================================
upstream    how the caller authenticates                 accepted value
==========  ===========================================  =================================
AIR         ``X-EES-AUTH-CLIENT-ID`` + ``X-EES-AUTH-HASH`` client id / secret below
Segment     HTTP Basic (user = write key) or ``writeKey``  ``SEGMENT_WRITE_KEY``
Voucherify  ``X-App-Id`` + ``X-App-Token`` (API);          app id / token below
            ``authorization: Basic`` + ``secret-key``
            (Segment integration, each base64)
Perkville   ``Authorization: Bearer <token>``              ``PERKVILLE_TOKEN``
Everflow    ``nid`` query parameter of the postback;       ``EVERFLOW_NETWORK_ID``;
            ``X-Eflow-API-Key`` (network API)              ``EVERFLOW_API_KEY``
==========  ===========================================  =================================
"""

AIR_CLIENT_ID = "ee-connect-sandbox"
AIR_CLIENT_SECRET = "sandbox-air-secret"  # noqa: S105 - published sandbox credential
SEGMENT_WRITE_KEY = "sandbox-write-key"
VOUCHERIFY_APP_ID = "sandbox-app-id"
VOUCHERIFY_APP_TOKEN = "sandbox-app-token"  # noqa: S105 - published sandbox credential
PERKVILLE_TOKEN = "sandbox-perkville-token"  # noqa: S105 - published sandbox credential
EVERFLOW_NETWORK_ID = "1"
EVERFLOW_API_KEY = "sandbox-everflow-api-key"
