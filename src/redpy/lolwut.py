"""LOLWUT's computer art: Schotter (version 5) and the skyline (version 6), as Redis 7.0.

Version 5 draws Georg Nees's "Schotter" on a canvas of Braille dots: squares that rotate
and drift more the lower their row. Version 6 draws a city skyline in four grays with
ANSI colour escapes. Both use the C library's rand() in Redis, so their random parts
cannot match redis-server's output; the deterministic parts (the first two Schotter rows,
a one-row skyline) and every size and text are the same. Redis computes Schotter in
C `float`s; `_f32` rounds the same intermediate values so that the pixels agree.
"""

from __future__ import annotations

import math
import random
import struct

from .info import REDIS_VERSION

_F32 = struct.Struct("f")


def _f32(x: float) -> float:
    """Round to the nearest 32-bit float, as a C float variable holds it."""
    return _F32.unpack(_F32.pack(x))[0]


def _rand() -> int:
    """C's rand(): 0 .. RAND_MAX (2**31 - 1)."""
    return random.getrandbits(31)


_RAND_MAX = 2**31 - 1


class Canvas:
    def __init__(self, width: int, height: int, bg: int):
        self.width = width
        self.height = height
        self.pixels = bytearray([bg]) * (width * height)

    def draw(self, x: int, y: int, color: int) -> None:
        if 0 <= x < self.width and 0 <= y < self.height:
            self.pixels[x + y * self.width] = color

    def get(self, x: int, y: int) -> int:
        if 0 <= x < self.width and 0 <= y < self.height:
            return self.pixels[x + y * self.width]
        return 0

    def line(self, x1: int, y1: int, x2: int, y2: int, color: int) -> None:
        """Bresenham, as lwDrawLine."""
        dx, dy = abs(x2 - x1), abs(y2 - y1)
        sx = 1 if x1 < x2 else -1
        sy = 1 if y1 < y2 else -1
        err = dx - dy
        while True:
            self.draw(x1, y1, color)
            if x1 == x2 and y1 == y2:
                return
            e2 = err * 2
            if e2 > -dy:
                err -= dy
                x1 += sx
            if e2 < dx:
                err += dx
                y1 += sy

    def square(self, x: int, y: int, size: float, angle: float, color: int) -> None:
        """lwDrawSquare: the corners lie on a circle, starting at 45 degrees + angle."""
        size = _f32(_c_round(_f32(size / 1.4142135623)))
        k = _f32(math.pi / 4 + angle)
        px, py = [], []
        for _ in range(4):
            # C's round() rounds halves away from zero
            px.append(_c_round(math.sin(k) * size + x))
            py.append(_c_round(math.cos(k) * size + y))
            k = _f32(k + math.pi / 2)
        for j in range(4):
            self.line(px[j], py[j], px[(j + 1) % 4], py[(j + 1) % 4], color)


def _c_round(v: float) -> int:
    return int(math.floor(v + 0.5)) if v >= 0 else -int(math.floor(-v + 0.5))


# ---------------------------------------------------------------------- version 5


def schotter(cols: int, per_row: int, per_col: int) -> str:
    width = cols * 2
    padding = 2 if width > 4 else 0
    side = _f32((width - padding * 2) / per_row)
    height = int(_f32(_f32(side * per_col) + padding * 2))
    canvas = Canvas(width, height, 0)
    half = _f32(side / 2)
    for y in range(per_col):
        for x in range(per_row):
            sx = int(_f32(_f32(_f32(x * side) + half) + padding))
            sy = int(_f32(_f32(_f32(y * side) + half) + padding))
            angle = 0.0
            if y > 1:
                r1 = _f32(_f32(_rand() / _RAND_MAX) / per_col * y)
                r2 = _f32(_f32(_rand() / _RAND_MAX) / per_col * y)
                r3 = _f32(_f32(_rand() / _RAND_MAX) / per_col * y)
                if _rand() % 2:
                    r1 = -r1
                if _rand() % 2:
                    r2 = -r2
                if _rand() % 2:
                    r3 = -r3
                angle = r1
                sx = int(_f32(sx + _f32(_f32(r2 * side) / 3)))
                sy = int(_f32(sy + _f32(_f32(r3 * side) / 3)))
            canvas.square(sx, sy, side, angle, 1)
    rows = []
    for y in range(0, canvas.height, 4):
        chars = []
        for x in range(0, canvas.width, 2):
            g = canvas.get
            byte = (g(x, y) | g(x, y + 1) << 1 | g(x, y + 2) << 2 | g(x + 1, y) << 3
                    | g(x + 1, y + 1) << 4 | g(x + 1, y + 2) << 5 | g(x, y + 3) << 6 | g(x + 1, y + 3) << 7)
            chars.append(chr(0x2800 + byte))
        rows.append("".join(chars))
    # renderCanvas ends each row of characters with "\n" unless y is the last pixel row
    text = "".join(row + ("\n" if y != canvas.height - 1 else "") for y, row in zip(range(0, canvas.height, 4), rows))
    return text + "\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. " + REDIS_VERSION + "\n"


# ---------------------------------------------------------------------- version 6

_GRAYS = {0: "0;30;40m", 1: "0;90;100m", 2: "0;37;47m", 3: "0;97;107m"}


def _skyscraper(canvas: Canvas, xoff: int, width: int, height: int, windows: bool, color: int) -> None:
    starty = canvas.height - 1
    endy = starty - height + 1
    for y in range(starty, endy - 1, -1):
        for x in range(xoff, xoff + width):
            if y == endy and (x <= xoff + 1 or x >= xoff + width - 2):
                continue  # the roof is four pixels narrower
            c = color
            if windows and xoff + 1 < x < xoff + width - 2 and endy + 1 < y < starty - 1:
                relx, rely = x - (xoff + 1), y - (endy + 1)
                if (relx // 2) % 2 and rely % 2:
                    while True:
                        c = 1 + _rand() % 2
                        if c != color:
                            break
                    if relx % 2:
                        c = canvas.get(x - 1, y)
            canvas.draw(x, y, c)


def skyline(cols: int, rows: int) -> str:
    canvas = Canvas(cols, rows, 3)
    h = canvas.height
    for color in (2, 1):
        offset = -10
        while offset < canvas.width:
            offset += _rand() % 8
            width = 10 + _rand() % 9
            # `rand()%canvas->height/2`: (rand() % height) / 2 in C's precedence
            height = h // 2 + (_rand() % h) // (2 if color == 2 else 3)
            _skyscraper(canvas, offset, width, height, False, color)
            offset += width // 2 if color == 2 else width + 1
    offset = -10
    while offset < canvas.width:
        offset += _rand() % 8
        width = 5 + _rand() % 14
        if width % 4:
            width += width % 3
        height = h // 3 + (_rand() % h) // 2
        _skyscraper(canvas, offset, width, height, True, 0)
        offset += width + 5
    lines = []
    for y in range(canvas.height):
        lines.append("".join("\x1b[%s \x1b[0m" % _GRAYS.get(canvas.get(x, y), _GRAYS[0]) for x in range(canvas.width)))
    return (
        "\n".join(lines)
        + "\nDedicated to the 8 bit game developers of past and present.\n"
        + "Original 8 bit image from Plaguemon by hikikomori. Redis ver. " + REDIS_VERSION + "\n"
    )
