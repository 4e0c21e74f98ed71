from django import forms

from escalations.models import ACCOUNT_EXTERNAL_ID_PATTERN


class AttachToCaseForm(forms.Form):
    reference = forms.RegexField(
        label="Case reference",
        regex=r"^[Ee][Ss][Cc]-[1-9][0-9]*$",
        max_length=20,
        help_text="The case it belongs to, e.g. ESC-1042.",
        error_messages={"invalid": "Write the reference as ESC- followed by its number, e.g. ESC-1042."},
    )


class FileFromEmailForm(forms.Form):
    account = forms.RegexField(
        label="Customer account",
        regex=ACCOUNT_EXTERNAL_ID_PATTERN,
        max_length=45,
        help_text="The account's acct_ id.",
        error_messages={"invalid": "Use the account id, acct_ followed by 4–40 letters or digits."},
    )
    title = forms.CharField(max_length=200, help_text="The email's subject unless you write a better one.")


class SignatureForm(forms.Form):
    email_signature = forms.CharField(
        label="Signature",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Plain text added below every email you send to a customer from a case. Leave empty for none.",
    )
