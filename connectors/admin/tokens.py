"""Webhook tokens: issued or registered from the connector's page, shown once, listed and revoked.

Only a token's hash is kept (``connectors.tokens``). The pages that issue a token or register the
client's key belong to the connector admin (:class:`ConnectorTokenPages`, which ``ConnectorAdmin``
extends), since they act on one connector and one of its directions.
"""

from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from connectors.kinds.base import Direction
from connectors.kinds.registry import kind_get
from connectors.models import AuthToken, Connector
from connectors.tokens import KEY_MIN_LENGTH, token_issue, token_register, token_revoke

if TYPE_CHECKING:
    _AuthTokenInline = admin.TabularInline[AuthToken, Connector]
    _ConnectorModelAdmin = admin.ModelAdmin[Connector]
    _AuthTokenModelAdmin = admin.ModelAdmin[AuthToken]
else:  # TabularInline and ModelAdmin take no type arguments at run time
    _AuthTokenInline = admin.TabularInline
    _ConnectorModelAdmin = _AuthTokenModelAdmin = admin.ModelAdmin

TOKEN_ISSUE_URL_NAME = "connectors_connector_issue_token"  # noqa: S105 - a URL name
TOKEN_ISSUED_URL_NAME = "connectors_connector_token_issued"  # noqa: S105 - a URL name
KEY_REGISTER_URL_NAME = "connectors_connector_register_key"
TOKEN_FIELDS = ("prefix", "direction", "label", "created_at", "created_by", "last_used_at", "expires_at")
# The token just issued, kept in the session between the POST that issues it and the one page
# that shows it: a reload shows nothing and issues nothing.
ISSUED_SESSION_KEY = "connectors:issued-token"


class AuthTokenInline(_AuthTokenInline):
    model = AuthToken
    fields = (*TOKEN_FIELDS, "revoked_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "webhook tokens (only their prefix is kept readable)"

    def has_add_permission(self, request: HttpRequest, obj: Connector | None = None) -> bool:
        return False

    # The stubs' BaseModelAdmin types obj as the inline's own model; an inline is given the parent's.
    def has_change_permission(self, request: HttpRequest, obj: Connector | None = None) -> bool:  # type: ignore[override]
        return False


class ConnectorTokenPages(_ConnectorModelAdmin):
    """The connector admin's pages that issue a token or register the client's key, per direction."""

    def token_directions(self, connector: Connector | None) -> list[Direction]:
        """The directions a token or key can be given for: those the connector's kind has a URL for."""
        return list(kind_get(connector.kind).directions) if connector else []

    def get_urls(self) -> list[URLPattern]:
        issue = self.admin_site.admin_view(self.token_issue_view)
        register = self.admin_site.admin_view(self.key_register_view)
        return [
            path("<path:object_id>/issue-token/<str:direction>/", issue, name=TOKEN_ISSUE_URL_NAME),
            path(
                "<path:object_id>/issue-token/<str:direction>/issued/",
                self.admin_site.admin_view(self.token_issued_view),
                name=TOKEN_ISSUED_URL_NAME,
            ),
            path("<path:object_id>/register-key/<str:direction>/", register, name=KEY_REGISTER_URL_NAME),
            *super().get_urls(),
        ]

    def _token_page(
        self, request: HttpRequest, object_id: str, direction: str, title: str
    ) -> tuple[Connector, dict[str, Any]]:
        connector = self.get_object(request, object_id)
        if connector is None or direction not in kind_get(connector.kind).directions:
            raise Http404("No such connector, or it has no URL in that direction.")
        if not request.user.has_perm("connectors.add_authtoken"):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": connector,
            "direction": Direction(direction),
            "direction_label": AuthToken.DIRECTION_LABELS[Direction(direction)],
            "title": title.format(AuthToken.DIRECTION_LABELS[Direction(direction)].split(" ")[0].lower()),
        }
        return connector, context

    def _token_label(self, request: HttpRequest) -> str:
        return request.POST.get("label", "").strip()[: AuthToken._meta.get_field("label").max_length]

    def key_register_view(self, request: HttpRequest, object_id: str, direction: str) -> HttpResponse:
        """Register the key the client chose; like an issued token, only its hash is kept."""
        connector, context = self._token_page(request, object_id, direction, "Register the client's {} key")
        context["min_length"] = KEY_MIN_LENGTH
        template = "admin/connectors/connector/key_register.html"
        if request.method != "POST":
            return TemplateResponse(request, template, context)
        label = self._token_label(request)
        try:
            token = token_register(
                connector=connector, direction=direction, value=request.POST.get("value", ""),
                label=label, user=request.user,
            )
        except ValidationError as exc:
            # The key is not sent back into the form: it is typed again.
            context.update(errors=exc.message_dict.get("value", []), label=label)
            return TemplateResponse(request, template, context, status=400)
        self.log_change(request, connector, f"Registered the client's {direction} key {token.prefix}…")
        self.message_user(
            request, f"The client's {direction} key is registered as {token.prefix}; only its hash is kept.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:connectors_connector_change", args=[connector.pk]))

    def token_issue_view(self, request: HttpRequest, object_id: str, direction: str) -> HttpResponse:
        connector, context = self._token_page(request, object_id, direction, "Issue {} token")
        if request.method != "POST":
            return TemplateResponse(request, "admin/connectors/connector/token_issue.html", context)
        label = self._token_label(request)
        issued = token_issue(connector=connector, direction=direction, label=label, user=request.user)
        self.log_change(request, connector, f"Issued {direction} token {issued.token.prefix}…")
        request.session[ISSUED_SESSION_KEY] = {
            "connector": connector.pk, "direction": direction, "prefix": issued.token.prefix,
            "plaintext": issued.plaintext,
        }
        return HttpResponseRedirect(reverse(f"admin:{TOKEN_ISSUED_URL_NAME}", args=[connector.pk, direction]))

    def token_issued_view(self, request: HttpRequest, object_id: str, direction: str) -> HttpResponse:
        """The token just issued, shown once: read from the session and removed from it, so a
        reload (or the back button) shows nothing and issues nothing."""
        connector, context = self._token_page(request, object_id, direction, "Issued {} token")
        issued = request.session.get(ISSUED_SESSION_KEY)
        if not issued or (issued["connector"], issued["direction"]) != (connector.pk, direction):
            self.message_user(
                request,
                "An issued token is shown only once and is not kept. If it was not copied, revoke it "
                "(Webhook tokens, below) and issue another.",
                messages.WARNING,
            )
            return HttpResponseRedirect(reverse("admin:connectors_connector_change", args=[connector.pk]))
        del request.session[ISSUED_SESSION_KEY]
        # admin_view marks the response no-store, so the token stays out of caches.
        context["issued"] = issued
        return TemplateResponse(request, "admin/connectors/connector/token_issued.html", context)


@admin.register(AuthToken)
class AuthTokenAdmin(_AuthTokenModelAdmin):
    list_display = (*TOKEN_FIELDS[:4], "connector", "last_used_at", "expires_at", "revoked_at")
    list_filter = ("direction", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("prefix", "label", "connector__name", "connector__client__name")
    list_select_related = ("connector__client",)
    fields = ("connector", *TOKEN_FIELDS, "revoked_at")
    readonly_fields = (
        "connector", *(f for f in TOKEN_FIELDS if f not in ("label", "expires_at")), "revoked_at"
    )
    actions = ("tokens_revoke",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # issued from the connector's page, where the token is shown once

    def has_delete_permission(self, request: HttpRequest, obj: AuthToken | None = None) -> bool:
        return False  # revoked instead, so the history of who could call in stays

    @admin.action(description="Revoke selected tokens", permissions=["change"])
    def tokens_revoke(self, request: HttpRequest, queryset: QuerySet[AuthToken]) -> None:
        revoked = [t for t in queryset if t.revoked_at is None]
        for token in revoked:
            token_revoke(prefix_or_id=str(token.pk))
            self.log_change(request, token, "Revoked.")
        self.message_user(request, f"{len(revoked)} token(s) revoked.", messages.SUCCESS)
