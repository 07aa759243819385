"""Model forms that take an image upload. What is stored is the cleaned image
(photos.processing: checked, metadata stripped, re-encoded), never the uploaded bytes, and only
once the rest of the form is valid, so that a storage that fails (a full disk, a permission) is
the form's error naming why, not a server error half-way through a save."""

from django import forms
from django.contrib.admin.widgets import AdminFileWidget

from . import processing
from .models import StorageFailed, store_cleaned


class ReplaceOnlyFileWidget(AdminFileWidget):
    """The admin's file input beside the current file, with no "Clear": for an image the record
    cannot be without (a photo's own)."""

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["required"] = True  # what the template asks before offering "Clear"
        return context


class CleanedImageForm(forms.ModelForm):
    """Declare the image as a `forms.FileField` named `image_field`, and call `clean_upload()`
    from its clean_<field> method."""

    image_field = "image"

    def clean_upload(self):
        """The upload checked and cleaned into `self.cleaned_upload`; the current file when none
        was sent; False when the editor cleared it, if the model's field may be blank."""
        upload = self.cleaned_data.get(self.image_field)
        self.cleaned_upload = None
        if upload is False and self.instance._meta.get_field(self.image_field).blank:
            return False
        if not upload or upload is self.initial.get(self.image_field):
            return getattr(self.instance, self.image_field)
        try:
            self.cleaned_upload = processing.clean_upload(upload)
        except processing.Rejected as rejected:
            raise forms.ValidationError(str(rejected)) from None
        return upload

    def _post_clean(self):
        # The model's ImageField would store the upload as sent; keep it out of
        # construct_instance and store the cleaned image instead.
        image = self.cleaned_data.pop(self.image_field, None)
        super()._post_clean()
        self.cleaned_data[self.image_field] = image
        if image is False:
            self.instance._meta.get_field(self.image_field).save_form_data(self.instance, False)
        upload = getattr(self, "cleaned_upload", None)
        if upload and not self.errors:
            try:
                self.store(upload)
            except StorageFailed as failed:
                self.add_error(
                    self.image_field,
                    f"The photo could not be stored ({failed}). Nothing was saved: try again, "
                    "or tell an administrator if it happens again.",
                )

    def store(self, cleaned):
        """Store the cleaned image as the instance's file (raises StorageFailed)."""
        store_cleaned(getattr(self.instance, self.image_field), cleaned)
