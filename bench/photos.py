"""
Benchmark the photo pipeline on a news-agency-sized photo (6000 × 4000 JPEG).

    .venv/bin/python bench/photos.py

Prints the time and peak memory to clean the upload and make all its renditions, and the image
bytes an article page costs at phone and desktop widths (the rendition a browser picks from the
hero's srcset and sizes). Nothing is written to the database or to media/.
"""

import io
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")  # development settings: no secret key needed

import django  # noqa: E402

django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from PIL import Image, ImageDraw, ImageFilter  # noqa: E402

from photos import processing  # noqa: E402

# The hero's `sizes`: 40rem (640 CSS px) from 42rem up, else the full width.
HERO_SLOT_PX = 640
READERS = [
    ("phone, 390 px at 3x", 390, 3),
    ("desktop, 1280 px at 1x", 1280, 1),
    ("desktop, 1280 px at 2x", 1280, 2),
]


def agency_photo(width=6000, height=4000):
    """A photo-like JPEG: gradients, shapes and sensor-like noise, so it compresses like one."""
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    draw = ImageDraw.Draw(image)
    for i in range(40):
        x, y = (i * 997) % width, (i * 613) % height
        draw.ellipse([x, y, x + 400, y + 300], fill=(40 + i * 5, 90, 160 - i * 3))
    noise = Image.effect_noise((width, height), 40).convert("RGB")
    image = Image.blend(image, noise, 0.25).filter(ImageFilter.SMOOTH)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def peak_rss_mb():
    """This process's peak resident memory. VmHWM belongs to the process's own memory map (reset by
    exec), unlike getrusage's ru_maxrss, which a child inherits from the parent that forked it."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    """Make the test photo here, then measure the pipeline in a fresh process, so its peak memory
    is the pipeline's own and not the cost of drawing the photo."""
    with tempfile.NamedTemporaryFile(suffix=".jpg") as handle:
        handle.write(agency_photo())
        handle.flush()
        subprocess.run([sys.executable, __file__, "--measure", handle.name], check=True)


def measure(path):
    original = Path(path).read_bytes()
    baseline = peak_rss_mb()
    print(f"Original: a synthetic 6000 × 4000 photo-like JPEG, {len(original) / 1e6:.1f} MB")

    started = time.perf_counter()
    cleaned = processing.clean_upload(SimpleUploadedFile("agency.jpg", original, "image/jpeg"))
    stored, _ = cleaned.encode()
    cleaned_at = time.perf_counter()
    renditions = {}
    for spec in processing.SPECS:
        data, size = processing.render(cleaned.image, spec, 0.5, 0.4)
        renditions[spec.name] = (data, size)
    finished = time.perf_counter()

    print(f"Clean upload (decode, orient, strip, re-encode): {cleaned_at - started:.2f} s")
    print(f"All {len(renditions)} renditions: {finished - cleaned_at:.2f} s")
    print(f"Total: {finished - started:.2f} s")
    print(f"Peak memory (RSS): {peak_rss_mb():.0f} MB (before: {baseline:.0f} MB)")
    print()
    print("Renditions:")
    for name, (data, (w, h)) in renditions.items():
        print(f"  {name:<20} {w:>5} × {h:<4} {len(data) / 1024:>8.1f} KB")
    print()
    print("Article page image bytes (the hero; the page has no other images):")
    for label, viewport, dpr in READERS:
        needed = min(viewport, HERO_SLOT_PX) * dpr if viewport >= 672 else viewport * dpr
        widths = [s.width for s in processing.SPECS if s.kind == "hero"]
        chosen = min((w for w in widths if w >= needed), default=max(widths))
        webp = len(renditions[f"hero-{chosen}.webp"][0])
        jpeg = len(renditions[f"hero-{chosen}.jpeg"][0])
        print(
            f"  {label:<24} needs {needed:>4} px → hero-{chosen}: "
            f"{webp / 1024:.1f} KB WebP ({jpeg / 1024:.1f} KB JPEG fallback)"
        )
    print(f"  (the stored original would be {len(stored) / 1024:.0f} KB)")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--measure":
        measure(sys.argv[2])
    else:
        main()
