#!/usr/bin/python3
"""Build convlab's drawn-digit test set from handwriting-like fonts (not MNIST).

    apt-get install python3-pil fonts-bwht fonts-comic-neue fonts-dancingscript \\
        fonts-kaushanscript fonts-breip fonts-ecolier-court \\
        fonts-dkg-handwriting fonts-humor-sans fonts-klee fonts-kristi fonts-tlwg-purisa
    /usr/bin/python3 scripts/gen_drawn_digits.py [out dir]   # default mnist/testdata/drawn

Each digit of each font is drawn VARIANTS times as the /draw page's canvas
would hold it: white ink on a black 280×280 canvas, at a random height
(30–85% of the canvas), position (anywhere inside), slant (shear -0.2 to
+0.35) and stroke width (the glyph's outline thickened by 0 to 5% of its
height), then scaled down to 112×112 as draw.js does before it sends the
drawing (SEND = 112). The files hold those 112×112 canvases, not MNIST's
28×28 form: the Go test (mnist/drawn_test.go) sends each through
mnist.Preprocess exactly as POST /api/predict does for the draw page.

Output (IDX, as MNIST's own files, gzip without a timestamp):
    images-idx3-ubyte.gz   N × 112 × 112 bytes (0 paper … 255 ink)
    labels-idx1-ubyte.gz   N labels
    MANIFEST.txt           the fonts, their Debian packages, the seed, PIL's version

Everything random comes from random.Random(SEED), so the same fonts and
Pillow/FreeType give the same bytes.
"""
import gzip, io, os, random, struct, sys

from PIL import Image, ImageDraw, ImageFont, __version__ as PIL_VERSION

SEED = 17
VARIANTS = 4
CANVAS = 280  # the draw page's canvas
SEND = 112    # draw.js sends the canvas scaled to this

# (Debian package, font file): handwriting-like faces with all ten digits.
FONTS = [
    ("fonts-bwht", "/usr/share/fonts/opentype/bwht/BecauseWeBuild-Regular.otf"),
    ("fonts-bwht", "/usr/share/fonts/opentype/bwht/BecauseWeConnect-Regular.otf"),
    ("fonts-bwht", "/usr/share/fonts/opentype/bwht/BecauseWeCreate-Regular.otf"),
    ("fonts-bwht", "/usr/share/fonts/opentype/bwht/BecauseWeLearn-Regular.otf"),
    ("fonts-bwht", "/usr/share/fonts/opentype/bwht/BecauseWeMentor-Regular.otf"),
    ("fonts-bwht", "/usr/share/fonts/opentype/bwht/BecauseWeOrganize-Regular.otf"),
    ("fonts-comic-neue", "/usr/share/fonts/opentype/comic-neue/ComicNeue-Regular.otf"),
    ("fonts-dancingscript", "/usr/share/fonts/opentype/dancingscript/DancingScript-Regular.otf"),
    ("fonts-kaushanscript", "/usr/share/fonts/opentype/kaushanscript/KaushanScript-Regular.otf"),
    ("fonts-breip", "/usr/share/fonts/truetype/breip/Breip.ttf"),
    ("fonts-ecolier-court", "/usr/share/fonts/truetype/ecolier-court/Ecolier-court.ttf"),
    # (fonts-femkeklaver is left out: its digits are outlines, not strokes)
    ("fonts-dkg-handwriting", "/usr/share/fonts/truetype/fifthhorseman/dkg.ttf"),
    ("fonts-humor-sans", "/usr/share/fonts/truetype/humor-sans/Humor-Sans.ttf"),
    ("fonts-klee", "/usr/share/fonts/truetype/klee/KleeOne-Regular.ttf"),
    ("fonts-kristi", "/usr/share/fonts/truetype/kristi/Kristi.ttf"),
    ("fonts-tlwg-purisa", "/usr/share/fonts/truetype/tlwg/Purisa.ttf"),
]


def glyph(font_path, digit, height, stroke_frac, slant):
    """The digit as white ink on black, cropped to its ink, about height px tall."""
    probe = ImageFont.truetype(font_path, 200)
    x0, y0, x1, y1 = probe.getbbox(str(digit))
    size = max(8, round(200 * height / max(1, y1 - y0)))
    font = ImageFont.truetype(font_path, size)
    stroke = round(stroke_frac * height)
    x0, y0, x1, y1 = font.getbbox(str(digit), stroke_width=stroke)
    pad = 8 + int(abs(slant) * (y1 - y0))
    w, h = x1 - x0 + 2 * pad, y1 - y0 + 2 * pad
    img = Image.new("L", (w, h), 0)
    ImageDraw.Draw(img).text((pad - x0, pad - y0), str(digit), fill=255, font=font,
                             stroke_width=stroke, stroke_fill=255)
    # Slant: x_out = x_in + slant·(cy - y), a forward lean for slant > 0.
    cy = h / 2
    img = img.transform((w, h), Image.Transform.AFFINE, (1, slant, -slant * cy, 0, 1, 0),
                        resample=Image.Resampling.BILINEAR)
    box = img.getbbox()
    return img.crop(box) if box else img


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "mnist/testdata/drawn"
    os.makedirs(out, exist_ok=True)
    rng = random.Random(SEED)
    images, labels = [], []
    for _, path in FONTS:
        for digit in range(10):
            for _ in range(VARIANTS):
                height = rng.uniform(0.30, 0.85) * CANVAS
                stroke_frac = rng.uniform(0, 0.05)
                slant = rng.uniform(-0.2, 0.35)
                fx, fy = rng.random(), rng.random()
                g = glyph(path, digit, height, stroke_frac, slant)
                if g.width > CANVAS - 8 or g.height > CANVAS - 8:  # too big: fit it
                    k = (CANVAS - 8) / max(g.width, g.height)
                    g = g.resize((max(1, round(g.width * k)), max(1, round(g.height * k))),
                                 Image.Resampling.BILINEAR)
                canvas = Image.new("L", (CANVAS, CANVAS), 0)
                x = 4 + round(fx * (CANVAS - 8 - g.width))
                y = 4 + round(fy * (CANVAS - 8 - g.height))
                canvas.paste(g, (x, y))
                sent = canvas.resize((SEND, SEND), Image.Resampling.BILINEAR)
                images.append(sent.tobytes())
                labels.append(digit)

    def write(name, header, payload):
        buf = io.BytesIO()
        with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, filename="") as f:
            f.write(header + payload)
        with open(os.path.join(out, name), "wb") as f:
            f.write(buf.getvalue())

    n = len(images)
    write("images-idx3-ubyte.gz", struct.pack(">IIII", 0x803, n, SEND, SEND), b"".join(images))
    write("labels-idx1-ubyte.gz", struct.pack(">II", 0x801, n), bytes(labels))
    with open(os.path.join(out, "MANIFEST.txt"), "w") as f:
        f.write(f"# made by scripts/gen_drawn_digits.py: seed {SEED}, {VARIANTS} variants of each digit per font,\n")
        f.write(f"# {n} canvases of {SEND}x{SEND} (from {CANVAS}x{CANVAS}), Pillow {PIL_VERSION}\n")
        for pkg, path in FONTS:
            f.write(f"{pkg}\t{os.path.basename(path)}\n")
    print(f"wrote {n} drawings to {out}")


if __name__ == "__main__":
    main()
