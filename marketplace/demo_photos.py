"""Demo photos drawn with Pillow: a recognisable object on a photo-like backdrop, so the demo needs no downloads."""

import functools
import io
import math
import random
from collections.abc import Callable

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

WIDTH, HEIGHT = 1200, 900
# ImageDraw does not antialias: objects are drawn at twice the size and scaled down.
SUPERSAMPLE = 2
GROUND = (600, 720)
HORIZON = 590

RGB = tuple[int, int, int]

COLOURS: dict[str, RGB] = {
    "black": (38, 38, 42),
    "white": (236, 236, 230),
    "red": (196, 48, 43),
    "blue": (40, 92, 170),
    "denim": (96, 130, 176),
    "navy": (32, 46, 92),
    "green": (52, 128, 74),
    "yellow": (236, 190, 40),
    "orange": (230, 120, 30),
    "grey": (128, 130, 134),
    "silver": (192, 195, 200),
    "brown": (122, 80, 46),
    "pink": (228, 128, 160),
    "teal": (30, 130, 130),
    "purple": (110, 70, 150),
    "beige": (212, 192, 152),
    "oak": (178, 130, 76),
    "walnut": (104, 68, 42),
    "terracotta": (196, 100, 64),
}
_ACCENTS = [COLOURS[name] for name in ("red", "blue", "green", "yellow", "orange", "teal", "purple", "pink")]

# (wall top, wall bottom, floor far, floor near, plank lines) and, for things photographed from above, surfaces.
_ROOMS = [
    ((238, 232, 220), (214, 204, 188), (150, 112, 74), (186, 144, 100), True),
    ((226, 230, 234), (196, 202, 208), (140, 140, 140), (178, 178, 176), False),
    ((246, 244, 240), (222, 218, 212), (196, 160, 118), (222, 190, 150), True),
    ((214, 226, 236), (186, 202, 216), (226, 226, 222), (244, 244, 240), False),
    ((212, 222, 204), (184, 198, 176), (108, 74, 50), (138, 98, 68), True),
]
_SURFACES = [((206, 170, 126), (188, 150, 108)), ((232, 228, 220), (214, 208, 198)), ((150, 154, 160), (132, 136, 142))]


def shade(color: RGB, factor: float) -> RGB:
    """Darker below 1, lighter above 1 (towards white)."""
    if factor <= 1:
        return tuple(round(c * factor) for c in color)
    return tuple(round(c + (255 - c) * (factor - 1)) for c in color)


class Pen:
    """Draws in the 1200x900 design space onto a supersampled transparent layer."""

    def __init__(self) -> None:
        self.layer = Image.new("RGBA", (WIDTH * SUPERSAMPLE, HEIGHT * SUPERSAMPLE), (0, 0, 0, 0))
        self.draw = ImageDraw.Draw(self.layer)

    def _pt(self, x: float, y: float) -> tuple[float, float]:
        return (x * SUPERSAMPLE, y * SUPERSAMPLE)

    def _box(self, box) -> tuple[float, float, float, float]:
        return (*self._pt(box[0], box[1]), *self._pt(box[2], box[3]))

    def _w(self, width: float) -> int:
        return max(1, round(width * SUPERSAMPLE))

    def rect(self, box, fill, radius: float = 0) -> None:
        self.draw.rounded_rectangle(self._box(box), radius=self._w(radius) if radius else 0, fill=fill)

    def ellipse(self, box, fill=None, outline=None, width: float = 0) -> None:
        self.draw.ellipse(self._box(box), fill=fill, outline=outline, width=self._w(width) if outline else 0)

    def circle(self, center, radius: float, fill=None, outline=None, width: float = 0) -> None:
        x, y = center
        self.ellipse((x - radius, y - radius, x + radius, y + radius), fill, outline, width)

    def polygon(self, points, fill) -> None:
        self.draw.polygon([self._pt(x, y) for x, y in points], fill=fill)

    def line(self, points, fill, width: float) -> None:
        self.draw.line([self._pt(x, y) for x, y in points], fill=fill, width=self._w(width), joint="curve")

    def arc(self, box, start: float, end: float, fill, width: float) -> None:
        self.draw.arc(self._box(box), start, end, fill=fill, width=self._w(width))

    def leaf(self, base, angle: float, length: float, width: float, fill) -> None:
        """An almond shape growing from base; angle 0 points straight up."""
        bx, by = base
        rad = math.radians(angle)
        steps = [step / 24 for step in range(25)]
        points = [(length * t, width / 2 * math.sin(math.pi * t)) for t in steps]
        points += [(length * t, -width / 2 * math.sin(math.pi * t)) for t in reversed(steps[1:-1])]
        self.polygon(
            [
                (bx + a * math.sin(rad) + c * math.cos(rad), by - a * math.cos(rad) + c * math.sin(rad))
                for a, c in points
            ],
            fill,
        )

    def text(self, center, text: str, size: float, fill) -> None:
        font = ImageFont.load_default(size=self._w(size))
        self.draw.text(self._pt(*center), text, fill=fill, font=font, anchor="mm")


Drawer = Callable[[Pen, RGB, random.Random], None]


def _phone(pen: Pen, color: RGB, rng: random.Random) -> None:
    pen.rect((480, 170, 720, 730), color, radius=38)
    pen.rect((720, 300, 727, 370), shade(color, 0.7))
    pen.rect((498, 214, 702, 686), (24, 32, 58), radius=14)
    pen.rect((560, 184, 640, 200), (20, 20, 22), radius=8)
    for row in range(5):
        for col in range(4):
            x, y = 510 + col * 48, 280 + row * 62
            pen.rect((x, y, x + 36, y + 36), rng.choice(_ACCENTS), radius=9)
    pen.rect((520, 236, 680, 252), (90, 110, 150), radius=6)


def _laptop(pen: Pen, color: RGB, rng: random.Random) -> None:
    pen.rect((330, 220, 870, 600), color, radius=18)
    pen.rect((352, 242, 848, 578), (22, 24, 30), radius=6)
    pen.rect((362, 252, 838, 568), (70, 120, 180))
    pen.rect((392, 290, 640, 470), (236, 240, 246), radius=6)
    pen.rect((392, 290, 640, 312), rng.choice(_ACCENTS), radius=6)
    pen.rect((600, 360, 810, 540), (210, 220, 232), radius=6)
    pen.polygon([(300, 600), (900, 600), (960, 690), (240, 690)], shade(color, 0.9))
    pen.rect((240, 690, 960, 708), shade(color, 0.72), radius=6)
    pen.polygon([(352, 612), (848, 612), (878, 656), (322, 656)], shade(color, 0.6))
    for y, left, right in ((623, 345, 855), (634, 337, 863), (645, 330, 870)):
        pen.line([(left, y), (right, y)], shade(color, 0.8), 2)
    pen.polygon([(540, 662), (660, 662), (668, 684), (532, 684)], shade(color, 0.82))


def _headphones(pen: Pen, color: RGB, rng: random.Random) -> None:
    pen.arc((380, 220, 820, 660), 180, 360, color, 40)
    pen.arc((404, 244, 796, 636), 205, 335, shade(color, 0.55), 14)
    pen.rect((392, 410, 412, 480), (150, 152, 156))
    pen.rect((788, 410, 808, 480), (150, 152, 156))
    pen.rect((350, 470, 454, 700), shade(color, 0.75), radius=44)
    pen.rect((746, 470, 850, 700), shade(color, 0.75), radius=44)
    pen.rect((440, 492, 478, 678), (40, 40, 44), radius=16)
    pen.rect((722, 492, 760, 678), (40, 40, 44), radius=16)


def _camera(pen: Pen, color: RGB, rng: random.Random) -> None:
    body = (40, 40, 44)
    pen.polygon([(510, 300), (690, 300), (712, 364), (488, 364)], body)
    pen.rect((380, 360, 820, 690), body, radius=30)
    pen.rect((380, 450, 820, 610), color)
    pen.rect((410, 334, 472, 362), (70, 70, 74), radius=6)
    pen.rect((724, 384, 792, 424), (232, 232, 228), radius=4)
    for radius, fill in ((130, (60, 60, 64)), (104, (24, 24, 26)), (76, (40, 62, 96)), (38, (14, 18, 32))):
        pen.circle((600, 525), radius, fill)
    pen.circle((568, 492), 14, (200, 214, 236))


def _chair(pen: Pen, color: RGB, rng: random.Random) -> None:
    frame = shade(color, 0.72)
    pen.rect((440, 190, 472, 700), frame, radius=6)
    pen.rect((728, 190, 760, 700), frame, radius=6)
    pen.rect((472, 222, 728, 266), color, radius=6)
    pen.rect((472, 304, 728, 336), color, radius=6)
    pen.polygon([(420, 470), (780, 470), (806, 522), (394, 522)], shade(color, 1.12))
    pen.rect((394, 520, 806, 548), shade(color, 0.85), radius=4)
    pen.rect((404, 546, 438, 760), frame, radius=6)
    pen.rect((762, 546, 796, 760), frame, radius=6)


def _table(pen: Pen, color: RGB, rng: random.Random) -> None:
    legs = shade(color, 0.7)
    pen.rect((330, 480, 360, 690), shade(legs, 0.8))
    pen.rect((840, 480, 870, 690), shade(legs, 0.8))
    pen.polygon([(300, 430), (900, 430), (962, 482), (238, 482)], shade(color, 1.1))
    pen.rect((238, 480, 962, 512), color, radius=4)
    pen.rect((300, 510, 900, 534), shade(color, 0.85))
    pen.rect((264, 510, 302, 744), legs, radius=4)
    pen.rect((898, 510, 936, 744), legs, radius=4)


def _sofa(pen: Pen, color: RGB, rng: random.Random) -> None:
    pen.rect((280, 690, 306, 734), (60, 40, 26), radius=4)
    pen.rect((894, 690, 920, 734), (60, 40, 26), radius=4)
    pen.rect((260, 330, 940, 560), shade(color, 0.82), radius=42)
    pen.rect((300, 362, 598, 540), shade(color, 0.95), radius=30)
    pen.rect((602, 362, 900, 540), shade(color, 0.95), radius=30)
    pen.rect((250, 610, 950, 696), shade(color, 0.72), radius=16)
    pen.rect((318, 520, 600, 640), color, radius=22)
    pen.rect((600, 520, 882, 640), color, radius=22)
    pen.rect((214, 430, 342, 696), shade(color, 0.88), radius=44)
    pen.rect((858, 430, 986, 696), shade(color, 0.88), radius=44)


def _lamp(pen: Pen, color: RGB, rng: random.Random) -> None:
    pen.ellipse((500, 690, 700, 742), (46, 46, 50))
    pen.rect((592, 360, 608, 712), (170, 172, 176))
    pen.ellipse((430, 346, 770, 400), (255, 236, 180))
    pen.polygon([(486, 170), (714, 170), (778, 374), (422, 374)], color)
    pen.ellipse((486, 160, 714, 184), shade(color, 1.15))


def _tshirt(pen: Pen, color: RGB, rng: random.Random) -> None:
    outline = [(470, 200), (380, 228), (236, 362), (314, 446), (402, 384), (402, 742), (798, 742), (798, 384)]
    outline += [(886, 446), (964, 362), (820, 228), (730, 200)]
    pen.polygon(outline, color)
    pen.ellipse((494, 140, 706, 262), (0, 0, 0, 0))
    pen.arc((490, 136, 710, 268), 0, 180, shade(color, 0.78), 14)
    pen.line([(402, 716), (798, 716)], shade(color, 0.85), 4)
    pen.line([(252, 380), (328, 452)], shade(color, 0.85), 4)
    pen.line([(948, 380), (872, 452)], shade(color, 0.85), 4)


def _jeans(pen: Pen, color: RGB, rng: random.Random) -> None:
    pen.polygon([(430, 170), (770, 170), (808, 750), (640, 750), (600, 340), (560, 750), (392, 750)], color)
    pen.rect((428, 170, 772, 214), shade(color, 0.82))
    for x in (470, 560, 640, 730):
        pen.rect((x, 164, x + 12, 222), shade(color, 0.7))
    pen.arc((440, 170, 560, 300), 0, 90, shade(color, 0.7), 5)
    pen.arc((640, 170, 760, 300), 90, 180, shade(color, 0.7), 5)
    pen.line([(600, 214), (600, 340)], shade(color, 0.7), 5)
    pen.circle((600, 192), 9, (196, 170, 100))


def _sneaker(pen: Pen, color: RGB, rng: random.Random) -> None:
    pen.rect((296, 610, 904, 684), (240, 240, 236), radius=30)
    pen.rect((300, 662, 900, 684), (196, 196, 192), radius=12)
    upper = [(322, 618), (314, 468), (360, 428), (470, 440), (560, 500), (700, 540), (820, 560), (882, 590), (892, 618)]
    pen.polygon(upper, color)
    pen.ellipse((330, 424, 470, 466), (40, 40, 44))
    pen.polygon([(450, 582), (770, 528), (790, 552), (470, 604)], shade(color, 1.5))
    for step in range(5):
        x, y = 500 + step * 38, 470 + step * 17
        pen.line([(x - 14, y + 24), (x + 22, y - 12)], (245, 245, 240), 7)


def _bicycle(pen: Pen, color: RGB, rng: random.Random) -> None:
    for cx in (380, 820):
        for angle in range(0, 360, 30):
            rad = math.radians(angle)
            pen.line([(cx, 560), (cx + 138 * math.cos(rad), 560 + 138 * math.sin(rad))], (150, 150, 154), 3)
        pen.circle((cx, 560), 150, outline=(30, 30, 32), width=16)
        pen.circle((cx, 560), 136, outline=(170, 172, 176), width=5)
        pen.circle((cx, 560), 14, (90, 90, 94))
    frame = [(380, 560), (572, 578), (532, 380), (380, 560)]
    pen.line(frame, color, 16)
    pen.line([(532, 380), (762, 392), (572, 578)], color, 16)
    pen.line([(762, 392), (820, 560)], shade(color, 0.8), 14)
    pen.line([(532, 380), (526, 352)], (60, 60, 64), 10)
    pen.ellipse((478, 336, 584, 366), (34, 34, 36))
    pen.line([(762, 392), (752, 330)], (60, 60, 64), 10)
    pen.line([(716, 326), (796, 334)], (34, 34, 36), 12)
    pen.circle((572, 578), 24, (70, 70, 74))
    pen.line([(572, 578), (606, 628)], (70, 70, 74), 8)
    pen.rect((590, 622, 630, 636), (40, 40, 44), radius=3)


def _car(pen: Pen, color: RGB, rng: random.Random) -> None:
    pen.polygon([(380, 486), (462, 370), (742, 370), (846, 486)], color)
    pen.rect((206, 476, 994, 644), color, radius=54)
    pen.polygon([(408, 478), (478, 392), (588, 392), (588, 478)], (168, 198, 220))
    pen.polygon([(610, 478), (610, 392), (728, 392), (808, 478)], (168, 198, 220))
    pen.line([(600, 486), (600, 626)], shade(color, 0.7), 4)
    pen.rect((626, 512, 664, 522), shade(color, 0.6), radius=4)
    pen.rect((206, 586, 994, 604), shade(color, 0.75))
    pen.rect((948, 508, 988, 544), (255, 240, 180), radius=10)
    pen.rect((206, 508, 228, 548), (200, 30, 30), radius=6)
    for cx in (360, 840):
        pen.circle((cx, 642), 80, (24, 24, 26))
        pen.circle((cx, 642), 40, (182, 184, 188))
        pen.circle((cx, 642), 12, (110, 110, 114))


def _football(pen: Pen, color: RGB, rng: random.Random) -> None:
    cx, cy, r = 600, 548, 172
    pen.circle((cx, cy), r, (244, 244, 240))

    def pentagon(x: float, y: float, size: float, turn: float) -> list[tuple[float, float]]:
        return [
            (x + size * math.sin(math.radians(turn + k * 72)), y - size * math.cos(math.radians(turn + k * 72)))
            for k in range(5)
        ]

    for k in range(5):
        angle = math.radians(k * 72)
        x, y = cx + 128 * math.sin(angle), cy - 128 * math.cos(angle)
        pen.line([(cx + 56 * math.sin(angle), cy - 56 * math.cos(angle)), (x, y)], (90, 90, 90), 4)
        pen.polygon(pentagon(x, y, 40, k * 72 + 36), color)
    pen.polygon(pentagon(cx, cy, 56, 0), color)


def _basketball(pen: Pen, color: RGB, rng: random.Random) -> None:
    cx, cy, r = 600, 548, 172
    seam = (30, 24, 20)
    pen.circle((cx, cy), r, color)
    pen.line([(cx, cy - r), (cx, cy + r)], seam, 7)
    pen.line([(cx - r, cy), (cx + r, cy)], seam, 7)
    pen.arc((cx - 1.55 * r, cy - r, cx - 0.15 * r, cy + r), -60, 60, seam, 7)
    pen.arc((cx + 0.15 * r, cy - r, cx + 1.55 * r, cy + r), 120, 240, seam, 7)


def _racket(pen: Pen, color: RGB, rng: random.Random) -> None:
    cx, cy, a, b = 600, 300, 130, 170
    for x in range(cx - 110, cx + 111, 22):
        half = b * math.sqrt(max(0, 1 - ((x - cx) / a) ** 2))
        pen.line([(x, cy - half), (x, cy + half)], (236, 236, 230), 3)
    for y in range(cy - 150, cy + 151, 22):
        half = a * math.sqrt(max(0, 1 - ((y - cy) / b) ** 2))
        pen.line([(cx - half, y), (cx + half, y)], (236, 236, 230), 3)
    pen.ellipse((cx - a, cy - b, cx + a, cy + b), outline=color, width=22)
    pen.polygon([(566, 462), (634, 462), (616, 560), (584, 560)], color)
    pen.rect((582, 556, 618, 760), (40, 40, 44), radius=10)


def _dumbbell(pen: Pen, color: RGB, rng: random.Random) -> None:
    pen.rect((330, 574, 870, 606), (170, 172, 176), radius=8)
    for x in range(500, 700, 14):
        pen.line([(x, 576), (x, 604)], (130, 132, 136), 3)
    for left, right in ((360, 422), (778, 840)):
        pen.rect((left, 470, right, 710), color, radius=12)
    pen.rect((422, 496, 466, 684), shade(color, 0.8), radius=10)
    pen.rect((734, 496, 778, 684), shade(color, 0.8), radius=10)


def _plant(pen: Pen, color: RGB, rng: random.Random) -> None:
    greens = [(46, 120, 60), (64, 146, 72), (36, 100, 52), (84, 160, 84)]
    for angle in range(-75, 76, 25):
        pen.leaf((600, 506), angle + rng.randint(-8, 8), rng.randint(190, 280), rng.randint(58, 80), rng.choice(greens))
    pen.polygon([(482, 520), (718, 520), (690, 722), (510, 722)], color)
    pen.rect((464, 494, 736, 540), shade(color, 0.9), radius=8)
    pen.ellipse((486, 496, 714, 520), (72, 50, 34))


def _watering_can(pen: Pen, color: RGB, rng: random.Random) -> None:
    pen.arc((452, 360, 688, 580), 180, 360, shade(color, 0.85), 24)
    pen.polygon([(688, 640), (696, 600), (878, 432), (900, 452)], color)
    pen.ellipse((866, 410, 922, 462), shade(color, 0.75))
    pen.rect((430, 470, 700, 722), color, radius=22)
    pen.ellipse((430, 454, 700, 490), shade(color, 1.2))
    pen.ellipse((452, 460, 678, 484), shade(color, 0.55))


def _mug(pen: Pen, color: RGB, rng: random.Random) -> None:
    pen.arc((650, 526, 790, 666), -90, 90, color, 26)
    pen.rect((470, 470, 700, 722), color, radius=20)
    pen.ellipse((470, 452, 700, 494), shade(color, 1.2))
    pen.ellipse((484, 458, 686, 488), (74, 46, 30))


def _book_stack(pen: Pen, color: RGB, rng: random.Random) -> None:
    y = 722
    colours = [color, *rng.sample(_ACCENTS, 4)]
    for cover in colours:
        height, width, offset = rng.randint(52, 74), rng.randint(380, 470), rng.randint(-36, 36)
        x0, x1 = 600 - width / 2 + offset, 600 + width / 2 + offset
        pen.rect((x0, y - height, x1, y), cover, radius=6)
        for band in (x0 + 28, x1 - 40):
            pen.rect((band, y - height + 6, band + 12, y - 6), shade(cover, 1.35))
        pen.rect((x0 + 150, y - height * 0.68, x1 - 150, y - height * 0.32), shade(cover, 1.6), radius=3)
        y -= height


def _book(pen: Pen, color: RGB, rng: random.Random) -> None:
    pen.rect((758, 232, 778, 712), (238, 232, 214))
    for y in range(244, 704, 14):
        pen.line([(760, y), (776, y)], (214, 206, 186), 2)
    pen.rect((450, 220, 766, 722), color, radius=6)
    pen.rect((450, 220, 484, 722), shade(color, 0.75))
    pen.rect((520, 300, 720, 390), shade(color, 1.55), radius=4)
    pen.line([(540, 330), (700, 330)], shade(color, 0.6), 8)
    pen.line([(560, 360), (680, 360)], shade(color, 0.6), 6)
    pen.line([(540, 640), (700, 640)], shade(color, 1.4), 6)


def _blocks(pen: Pen, color: RGB, rng: random.Random) -> None:
    colours = [color, *rng.sample(_ACCENTS, 2)]
    for (x, y), fill, letter in zip(((372, 540), (596, 540), (484, 356)), colours, "ABC", strict=True):
        size, depth = 184, 52
        pen.polygon([(x, y), (x + depth, y - depth), (x + size + depth, y - depth), (x + size, y)], shade(fill, 1.25))
        pen.polygon(
            [(x + size, y), (x + size + depth, y - depth), (x + size + depth, y + size - depth), (x + size, y + size)],
            shade(fill, 0.7),
        )
        pen.rect((x, y, x + size, y + size), fill)
        pen.text((x + size / 2, y + size / 2), letter, size * 0.62, (250, 250, 246))


def _teddy(pen: Pen, color: RGB, rng: random.Random) -> None:
    light, dark = shade(color, 1.35), (30, 22, 18)
    for cx in (492, 708):
        pen.circle((cx, 192), 46, color)
        pen.circle((cx, 192), 22, light)
    pen.ellipse((404, 420, 504, 590), shade(color, 0.9))
    pen.ellipse((696, 420, 796, 590), shade(color, 0.9))
    pen.ellipse((470, 380, 730, 690), color)
    pen.ellipse((530, 470, 670, 650), light)
    for x0 in (436, 634):
        pen.ellipse((x0, 610, x0 + 130, 734), shade(color, 0.92))
        pen.ellipse((x0 + 22, 650, x0 + 108, 726), light)
    pen.circle((600, 282), 116, color)
    pen.ellipse((544, 300, 656, 372), light)
    pen.ellipse((582, 304, 618, 330), dark)
    pen.arc((572, 318, 628, 356), 30, 150, dark, 5)
    pen.circle((555, 256), 13, dark)
    pen.circle((645, 256), 13, dark)


def _guitar(pen: Pen, color: RGB, rng: random.Random) -> None:
    wood = (86, 54, 32)
    pen.rect((570, 56, 630, 136), wood, radius=10)
    for y in (76, 100, 124):
        pen.circle((562, y), 8, (200, 200, 204))
        pen.circle((638, y), 8, (200, 200, 204))
    pen.rect((580, 130, 620, 340), wood)
    pen.circle((600, 580), 152, color)
    pen.circle((600, 404), 112, color)
    pen.rect((530, 420, 670, 560), color)
    pen.circle((600, 450), 40, (26, 18, 14))
    pen.rect((556, 600, 644, 622), wood, radius=4)
    for x in range(590, 611, 4):
        pen.line([(x, 70), (x, 610)], (226, 226, 220), 1)


def _suitcase(pen: Pen, color: RGB, rng: random.Random) -> None:
    pen.rect((536, 244, 664, 266), (50, 50, 54), radius=10)
    pen.rect((540, 250, 556, 306), (50, 50, 54))
    pen.rect((644, 250, 660, 306), (50, 50, 54))
    pen.circle((464, 730), 20, (30, 30, 32))
    pen.circle((736, 730), 20, (30, 30, 32))
    pen.rect((420, 300, 780, 720), color, radius=30)
    for x in (490, 560, 640, 710):
        pen.rect((x, 320, x + 10, 700), shade(color, 1.2), radius=4)
    pen.rect((420, 500, 780, 516), shade(color, 0.75))


# kind -> (drawer, photographed from above: lying flat on a surface rather than standing in a room)
KINDS: dict[str, tuple[Drawer, bool]] = {
    "phone": (_phone, False),
    "laptop": (_laptop, False),
    "headphones": (_headphones, False),
    "camera": (_camera, False),
    "chair": (_chair, False),
    "table": (_table, False),
    "sofa": (_sofa, False),
    "lamp": (_lamp, False),
    "tshirt": (_tshirt, True),
    "jeans": (_jeans, True),
    "sneaker": (_sneaker, False),
    "bicycle": (_bicycle, False),
    "car": (_car, False),
    "football": (_football, False),
    "basketball": (_basketball, False),
    "racket": (_racket, False),
    "dumbbell": (_dumbbell, False),
    "plant": (_plant, False),
    "watering_can": (_watering_can, False),
    "mug": (_mug, False),
    "book_stack": (_book_stack, False),
    "book": (_book, True),
    "blocks": (_blocks, False),
    "teddy": (_teddy, False),
    "guitar": (_guitar, False),
    "suitcase": (_suitcase, False),
}


def demo_photo(kind: str, *, color: RGB, variant: int = 0) -> Image.Image:
    """A 1200x900 photo of one object; another variant gives another room and framing."""
    drawer, from_above = KINDS[kind]
    rng = random.Random(f"{kind}:{variant}")
    pen = Pen()
    drawer(pen, color, rng)
    subject = pen.layer.convert("RGBa").reduce(SUPERSAMPLE).convert("RGBA")
    photo = _surface(rng) if from_above else _room(rng)
    _cast_shadow(photo, subject, from_above=from_above)
    photo.alpha_composite(subject)
    photo = _frame(photo.convert("RGB"), subject.getchannel("A").getbbox(), rng)
    return _add_grain(photo, seed=rng.randint(0, 1 << 30))


def demo_photo_jpeg(kind: str, *, color: RGB, variant: int = 0) -> bytes:
    """The photo as camera-like JPEG bytes, to go through the same upload checks as a seller's photo."""
    out = io.BytesIO()
    demo_photo(kind, color=color, variant=variant).save(out, format="JPEG", quality=90)
    return out.getvalue()


def _gradient(size: tuple[int, int], top: RGB, bottom: RGB) -> Image.Image:
    mask = Image.linear_gradient("L").resize(size)
    return Image.composite(Image.new("RGBA", size, bottom), Image.new("RGBA", size, top), mask)


def _room(rng: random.Random) -> Image.Image:
    wall_top, wall_bottom, floor_far, floor_near, planks = rng.choice(_ROOMS)
    photo = Image.new("RGBA", (WIDTH, HEIGHT))
    photo.paste(_gradient((WIDTH, HORIZON), wall_top, wall_bottom), (0, 0))
    photo.paste(_gradient((WIDTH, HEIGHT - HORIZON), floor_far, floor_near), (0, HORIZON))
    draw = ImageDraw.Draw(photo)
    draw.rectangle((0, HORIZON - 14, WIDTH, HORIZON), fill=shade(wall_bottom, 1.3))
    if planks:
        # Floorboards converge towards a vanishing point above the picture, like a real floor photographed.
        for x in range(-1200, 2400, 160):
            draw.line([(600 + (x - 600) * 0.35, HORIZON), (x, HEIGHT)], fill=shade(floor_far, 0.85), width=2)
    return photo


def _surface(rng: random.Random) -> Image.Image:
    top, bottom = rng.choice(_SURFACES)
    return _gradient((WIDTH, HEIGHT), top, bottom)


def _cast_shadow(photo: Image.Image, subject: Image.Image, *, from_above: bool) -> None:
    alpha = subject.getchannel("A")
    if from_above:
        mask = ImageChops.offset(alpha, 16, 20).point(lambda value: int(value * 0.45))
        blur = 14
    else:
        left, _, right, bottom = alpha.getbbox() or (0, 0, 0, 0)
        mask = Image.new("L", photo.size, 0)
        ImageDraw.Draw(mask).ellipse((left - 20, bottom - 26, right + 20, bottom + 22), fill=120)
        blur = 22
    shadow = Image.new("RGBA", photo.size, (20, 16, 12, 0))
    shadow.putalpha(mask.filter(ImageFilter.GaussianBlur(blur)))
    photo.alpha_composite(shadow)


def _frame(photo: Image.Image, subject_box: tuple[int, int, int, int] | None, rng: random.Random) -> Image.Image:
    """Zoom in on the subject like a seller's phone camera would, never cutting it off."""
    left, top, right, bottom = subject_box or (0, 0, WIDTH, HEIGHT)
    margin = 50
    zoom = min(rng.uniform(1.1, 1.9), WIDTH / (right - left + 2 * margin), HEIGHT / (bottom - top + 2 * margin))
    zoom = max(zoom, 1.0)
    crop_w, crop_h = WIDTH / zoom, HEIGHT / zoom
    center_x = (left + right) / 2 + rng.uniform(-0.08, 0.08) * crop_w
    center_y = (top + bottom) / 2 + rng.uniform(-0.02, 0.08) * crop_h
    # Keep the subject inside the frame and the frame inside the picture.
    x0 = min(max(center_x - crop_w / 2, right + margin - crop_w, 0), left - margin, WIDTH - crop_w)
    y0 = min(max(center_y - crop_h / 2, bottom + margin - crop_h, 0), top - margin, HEIGHT - crop_h)
    x0, y0 = max(x0, 0), max(y0, 0)
    return photo.resize((WIDTH, HEIGHT), Image.Resampling.BICUBIC, box=(x0, y0, x0 + crop_w, y0 + crop_h))


def _add_grain(photo: Image.Image, *, seed: int) -> Image.Image:
    # Flat fills look like clip art; a little sensor-like noise makes them read as photos.
    return ImageChops.add(photo, _grain(6 + seed % 3), scale=1.0, offset=-128)


@functools.cache
def _grain(sigma: int) -> Image.Image:
    return Image.effect_noise((WIDTH, HEIGHT), sigma).convert("RGB")
