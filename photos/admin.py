from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.utils.html import format_html

from explainers import tasks
from explainers.admin import SharedRecordAdmin

from .forms import CleanedImageForm, ReplaceOnlyFileWidget
from .models import Photo

PICKER_WIDTH = 480  # the focal-point picker shows the photo this many CSS pixels wide


class PhotoForm(CleanedImageForm):
    image = forms.FileField(
        required=False,
        widget=ReplaceOnlyFileWidget,
        help_text="JPEG, PNG, WebP or GIF. Location and camera data are removed; the credit and "
        "date taken are read from the photo when those fields are left empty.",
    )

    class Meta:
        model = Photo
        fields = (
            "image",
            "title",
            "alt_text",
            "caption",
            "credit",
            "source_agency",
            "taken_on",
            "focal_x",
            "focal_y",
            "tags",
        )

    def clean_image(self):
        if not self.cleaned_data.get("image") and not self.instance.pk:
            raise forms.ValidationError("Choose a photo to upload.")
        return self.clean_upload()

    def clean(self):
        cleaned = super().clean()
        # A click on the picker (an <input type="image">) sends where it landed, in pixels of the
        # photo as shown; no JavaScript involved.
        if "focal.x" in self.data and self.instance.width:
            try:
                x, y = float(self.data["focal.x"]), float(self.data["focal.y"])
            except ValueError:
                return cleaned
            shown_height = PICKER_WIDTH * self.instance.height / self.instance.width
            cleaned["focal_x"] = round(min(max(x / PICKER_WIDTH, 0), 1), 3)
            cleaned["focal_y"] = round(min(max(y / shown_height, 0), 1), 3)
        upload = getattr(self, "cleaned_upload", None)
        if upload:
            if not cleaned.get("credit") and upload.credit:
                cleaned["credit"] = upload.credit
            if not cleaned.get("taken_on") and upload.taken_on:
                cleaned["taken_on"] = upload.taken_on
        return cleaned

    def store(self, cleaned):
        self.instance.save_cleaned(cleaned)  # and its measurements


@admin.register(Photo)
class PhotoAdmin(SharedRecordAdmin):
    form = PhotoForm
    list_display = ("thumbnail", "title", "credit", "source_agency", "taken_on", "created_at")
    list_display_links = ("thumbnail", "title")
    list_filter = ("source_agency", "created_at")
    search_fields = ("title", "caption", "credit", "alt_text", "source_agency")
    date_hierarchy = "created_at"
    readonly_fields = ("focal_picker", "size", "uploaded_by", "created_at")
    list_per_page = 50

    fieldsets = (
        (None, {"fields": ("image", "title", "alt_text", "caption", "credit")}),
        ("Source", {"fields": ("source_agency", "taken_on", "tags")}),
        ("Focal point", {"fields": ("focal_picker", ("focal_x", "focal_y"))}),
        ("File", {"fields": ("size", "uploaded_by", "created_at")}),
    )

    def save_model(self, request, obj, form, change):
        upload = form.cleaned_upload
        if upload:  # stored by the form (PhotoForm._post_clean)
            obj.uploaded_by = obj.uploaded_by or request.user
            for note in upload.notes:
                self.message_user(request, note, messages.INFO)
            if upload.credit and form.cleaned_data.get("credit") == upload.credit:
                self.message_user(request, "The credit was read from the photo; check it.")
        if upload and change:
            # The renditions of the old image no longer show this photo: until the new ones are
            # made, pages show the new original (Photo.fallback).
            obj.rendition_index = {}
        super().save_model(request, obj, form, change)
        if upload or {"focal_x", "focal_y"} & set(form.changed_data) or "focal.x" in request.POST:
            # Cut in the background once the save commits, so the upload answers at once; the
            # pages showing the photo are refreshed when they land (explainers.tasks).
            tasks.enqueue_on_commit(tasks.make_renditions, obj.pk)

    def response_change(self, request, obj):
        if "focal.x" in request.POST:
            self.message_user(
                request, "Focal point set; the crops are being made again.", messages.SUCCESS
            )
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    @admin.display(description="photo")
    def thumbnail(self, photo):
        image = photo.fallback if photo.image else None
        if not image:
            return "—"
        return format_html('<img src="{}" alt="" class="newsroom-thumbnail">', image["url"])

    @admin.display(description="focal point")
    def focal_picker(self, photo):
        if not photo.pk:
            return "Upload the photo first; then click on it to set its focal point."
        return format_html(
            '<input type="image" name="focal" src="{}" class="newsroom-picker" '
            'alt="Click where the photo’s subject is">'
            '<p class="help">Now {}% from the left, {}% from the top. Click on the photo '
            "where its subject is: crops keep that point in view. Or type the numbers below "
            "(0–1).</p>",
            photo.image.url,
            f"{photo.focal_x * 100:.0f}",
            f"{photo.focal_y * 100:.0f}",
        )

    @admin.display(description="size")
    def size(self, photo):
        if not photo.width:
            return "—"
        return f"{photo.width:,} × {photo.height:,} pixels, {len(photo.rendition_index)} renditions"
