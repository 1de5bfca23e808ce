from django.views import View
class StatusView(View): pass
class ReadyView(View): pass
class WebhookView(View):
    direction = ""
