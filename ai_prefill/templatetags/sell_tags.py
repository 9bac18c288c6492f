from django import template

register = template.Library()


@register.filter
def field_choices(choices: dict, name: str) -> list:
    """The (value, label) pairs offered for one field of the sell page; none when it has no choices."""
    return choices.get(name, []) if isinstance(choices, dict) else []
