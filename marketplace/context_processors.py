def _menu_categories() -> list:
    from marketplace.models import Category

    # One query of a table of a few rows, made only by pages that render the header (not htmx partials);
    # rows, not values, so the menu shows each name in the page's language (name_translated).
    return list(Category.objects.only("slug", "name", "names"))


def header(request) -> dict:
    """What the site header needs on every page: the unread message count (computed lazily)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"menu_categories": _menu_categories}

    def unread_count() -> int:
        from marketplace.selectors import unread_message_count

        return unread_message_count(user=user)

    def unread_notices() -> int:
        from marketplace.models import Notice

        return Notice.objects.filter(user=user, read_at__isnull=True).count()

    return {"unread_messages": unread_count, "unread_notices": unread_notices, "menu_categories": _menu_categories}
