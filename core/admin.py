"""Admin pieces every app's admin uses."""


class ReadOnlyAdminMixin:
    """Records of what happened: staff may look and delete, never invent or rewrite."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
