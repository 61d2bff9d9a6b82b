#!/usr/bin/env python3
"""Writes cmyk.jpg: a 16x16 CMYK JPEG (Adobe APP14, as Photoshop saves print files), left half red, right half blue.

SkiaSharp can decode CMYK JPEGs but cannot write them, so this one file is committed. Regenerate with
python3 make_cmyk.py (needs Pillow: apt-get install python3-pil).
"""
from pathlib import Path

from PIL import Image

image = Image.new("CMYK", (16, 16))
for y in range(16):
    for x in range(16):
        # Red is C=0 M=255 Y=255 K=0; blue is C=255 M=255 Y=0 K=0.
        image.putpixel((x, y), (0, 255, 255, 0) if x < 8 else (255, 255, 0, 0))
image.save(Path(__file__).with_name("cmyk.jpg"), "JPEG", quality=95)
