"""Forms parse and check the shape of input; the rules live in feedback.services."""

from collections.abc import Sequence

from django import forms
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from ai_prefill.llm.schema import SUGGESTED_FIELDS, SuggestedField
from feedback.models import COMMENT_MAX_LENGTH, Vote
from feedback.services import FieldVerdict
from marketplace.forms import attribute_field
from marketplace.models import (
    DESCRIPTION_MAX_LENGTH,
    PRICE_MAX,
    TITLE_MAX_LENGTH,
    Category,
    CategoryAttribute,
    Condition,
)


class VoteForm(forms.Form):
    vote = forms.ChoiceField(choices=Vote.Value.choices, error_messages={"invalid_choice": _("A vote is up or down.")})
    reasons = forms.MultipleChoiceField(
        choices=Vote.Reason.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Please pick the reasons from the list.")},
    )
    comment = forms.CharField(
        max_length=COMMENT_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={
            "max_length": format_lazy(_("Please keep the comment under {limit} characters."), limit=COMMENT_MAX_LENGTH)
        },
    )

    def __init__(self, *args, reasons: dict[str, str] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The suggestion's own reasons (feedback.services.vote_reasons_for): "Wrong brand" for a suggested brand.
        if reasons is not None:
            self.fields["reasons"].choices = list(reasons.items())

    def clean(self):
        data = super().clean()
        # Ticks left from an earlier thumbs down do not travel with a thumbs up.
        if data.get("vote") == Vote.Value.UP:
            data["reasons"] = []
        return data


VERDICT_CHOICES = [("right", pgettext_lazy("verdict", "Right")), ("wrong", pgettext_lazy("verdict", "Wrong"))]


def _value_field(name: str) -> forms.Field:
    if name == "title":
        return forms.CharField(max_length=TITLE_MAX_LENGTH, required=False)
    if name == "description":
        return forms.CharField(
            max_length=DESCRIPTION_MAX_LENGTH, required=False, widget=forms.Textarea(attrs={"rows": 3})
        )
    if name == "category":
        return forms.ModelChoiceField(
            queryset=Category.objects.all(), to_field_name="slug", required=False, empty_label="—"
        )
    if name == "price":
        return forms.DecimalField(min_value=0, max_value=PRICE_MAX, decimal_places=2, max_digits=10, required=False)
    return forms.ChoiceField(choices=[("", "—"), *Condition.choices], required=False)


def right_value_label(name: str) -> str:
    return capfirst(gettext("Right %(field)s") % {"field": name.lower()})


class AnnotationForm(forms.Form):
    """Right or wrong for each suggested field, with the right value where the annotator knows it.

    The suggestion's item details (from prefill-v4 on) follow the fields, by slug: brand_verdict, brand_value.
    """

    notes = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    add_to_eval_set = forms.BooleanField(required=False, label=_("Add to the evaluation set"))
    dataset = forms.SlugField(max_length=50, initial="default", label=_("Evaluation set"))

    def __init__(self, *args, attributes: Sequence[CategoryAttribute] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in SUGGESTED_FIELDS:
            self.fields[f"{name}_verdict"] = forms.ChoiceField(
                choices=VERDICT_CHOICES, initial="right", widget=forms.RadioSelect, label=SuggestedField(name).label
            )
            self.fields[f"{name}_value"] = _value_field(name)
            self.fields[f"{name}_value"].label = right_value_label(str(SuggestedField(name).label))
        self.attribute_slugs = [attribute.slug for attribute in attributes if attribute.slug not in SUGGESTED_FIELDS]
        for attribute in attributes:
            if attribute.slug not in self.attribute_slugs:
                continue
            self.fields[f"{attribute.slug}_verdict"] = forms.ChoiceField(
                choices=VERDICT_CHOICES, initial="right", widget=forms.RadioSelect, label=attribute.name_translated
            )
            self.fields[f"{attribute.slug}_value"] = attribute_field(attribute)
            self.fields[f"{attribute.slug}_value"].label = right_value_label(attribute.name_translated)

    @property
    def field_names(self) -> list[str]:
        return [*SUGGESTED_FIELDS, *self.attribute_slugs]

    def field_rows(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        return [(name, self[f"{name}_verdict"], self[f"{name}_value"]) for name in self.field_names]

    def verdicts(self) -> dict[str, FieldVerdict]:
        result = {}
        for name in self.field_names:
            value = self.cleaned_data.get(f"{name}_value")
            if isinstance(value, Category):
                value = value.slug
            text = "" if value in (None, "") else str(value)
            correct = self.cleaned_data[f"{name}_verdict"] == "right"
            result[name] = FieldVerdict(correct=correct, value="" if correct else text)
        return result
