"""Draw the app's icons for phones' home screens (the web app manifest) with Pillow.

The picture is favicon.svg's: a play sign on a dark rounded square. Run once when the
design changes (``make icons``); the PNGs are committed in mediacaster/static/.

- ``icon-192.png``, ``icon-512.png``: the rounded square, for "any" purpose;
- ``icon-maskable-512.png``: the square to its edges, the sign inside the middle 80 %
  that every launcher's mask keeps;
- ``apple-touch-icon.png`` (180 px): the square to its edges, which iOS rounds itself.
"""

from pathlib import Path

from PIL import Image, ImageDraw

STATIC = Path(__file__).resolve().parent.parent / "mediacaster" / "static"
BACKGROUND = "#1b2027"
SIGN = "#4fa3ff"
# favicon.svg's drawing, on its 24-unit grid.
GRID = 24
CORNER = 5
PLAY = [(9, 6.5), (9, 17.5), (18, 12)]
SUPERSAMPLE = 4  # drawn larger, then scaled down: smooth edges


def draw(size, rounded):
    big = size * SUPERSAMPLE
    unit = big / GRID
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    if rounded:
        pen.rounded_rectangle((0, 0, big - 1, big - 1), radius=CORNER * unit, fill=BACKGROUND)
    else:
        pen.rectangle((0, 0, big - 1, big - 1), fill=BACKGROUND)
    pen.polygon([(x * unit, y * unit) for x, y in PLAY], fill=SIGN)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main():
    icons = {
        "icon-192.png": (192, True),
        "icon-512.png": (512, True),
        "icon-maskable-512.png": (512, False),
        "apple-touch-icon.png": (180, False),
    }
    for name, (size, rounded) in icons.items():
        picture = draw(size, rounded)
        if not rounded:  # no transparency where a launcher or iOS shows the square as it is
            picture = picture.convert("RGB")
        picture.save(STATIC / name, optimize=True)
        print(f"{STATIC / name}: {size}x{size}")


if __name__ == "__main__":
    main()
