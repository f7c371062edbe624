"""Filter forms of the pipeline board and the forecast."""

from django import forms

from backoffice.selectors import user_list


class OwnerChoiceField(forms.ModelMultipleChoiceField):
    """A multiple user picker labelled with people's names."""

    def label_from_instance(self, obj) -> str:
        return obj.display_name


class OwnerFilterForm(forms.Form):
    """Owners of the actor's organization to narrow the board or the forecast to."""

    owner = OwnerChoiceField(queryset=None, required=False, label="Owners")

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = user_list(actor=actor)
        self.fields["owner"].widget.attrs.update({"class": "form-select", "size": 4})

    def owners(self):
        """The chosen owners, or None for everyone (an empty choice means no filter)."""
        if not self.is_bound or not self.is_valid():
            return None
        return list(self.cleaned_data["owner"]) or None


class ForecastFilterForm(OwnerFilterForm):
    """The forecast's filters; the rules between them (range order, no future comparison) are the selector's."""

    date_from = forms.DateField(required=False, label="Expected close from")
    date_to = forms.DateField(required=False, label="Expected close to")
    compare_to = forms.DateField(
        required=False, label="Compare to date", help_text="The figures as they stood at the end of that day."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("date_from", "date_to", "compare_to"):
            self.fields[name].widget = forms.DateInput(attrs={"type": "date", "class": "form-control"})
