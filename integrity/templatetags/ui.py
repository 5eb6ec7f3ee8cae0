from django import forms, template

register = template.Library()


@register.filter
def bs(field):
    """Render a bound field with the Bootstrap class its widget needs."""
    widget = field.field.widget
    if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
        # A list of choices: the class would land on the wrapping <div> too (static/css/app.css
        # lays the list out); the widget keeps the attributes its form gave it.
        return field.as_widget()
    if isinstance(widget, forms.CheckboxInput):
        css = "form-check-input"
    elif isinstance(widget, forms.Select | forms.NullBooleanSelect):
        css = "form-select"
    else:
        css = "form-control"
    if field.errors:
        css += " is-invalid"
    return field.as_widget(attrs={"class": css})
