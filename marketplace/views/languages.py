"""The footer's language switcher: Django's set_language, which also stores a signed-in person's choice."""

from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from marketplace.languages import language_supported
from marketplace.services.accounts import user_language_update


@require_POST
def language_switch(request):
    """Sets the language cookie and goes back to `next` (set_language); saves User.language when signed in,
    since the account's setting wins over the cookie and the switch would otherwise do nothing for them."""
    response = set_language(request)
    code = request.POST.get("language", "")
    if request.user.is_authenticated and language_supported(code):
        user_language_update(user=request.user, language=code)
    return response
