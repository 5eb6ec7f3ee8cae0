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


@register.filter
def site_path(url):
    """The link if it is a path on this site, else "": a stored link (a notification's, a
    warning's) never becomes a javascript: or another site's URL in an href."""
    url = str(url or "").strip()
    if url.startswith("/") and not url.startswith(("//", "/\\")):
        return url
    return ""
