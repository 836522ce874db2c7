"""LZF, the compressor Redis uses for RDB strings (liblzf 3.6 format and algorithm).

Format: a sequence of runs. A control byte c < 32 announces c+1 literal bytes; otherwise
the high three bits are the match length - 2 (7 means an extra length byte follows,
added to 7) and the low five bits with the next byte form the back offset - 1.

`compress` follows liblzf's VERY_FAST variant (hash of three bytes, a 64K-slot table, the
same tests for a usable match, including `ref > in_data`: offset 0 is never referenced).
liblzf leaves its table uninitialised, so Redis's output can differ from ours on the
rare input where stale slots produce a match; both decode to the same bytes.
"""

from __future__ import annotations

HLOG = 16
HSIZE = 1 << HLOG
MAX_LIT = 1 << 5
MAX_OFF = 1 << 13
MAX_REF = (1 << 8) + (1 << 3)


class LZFError(ValueError):
    pass


def compress(data: bytes, out_len: int) -> bytes | None:
    """Compress data into at most out_len bytes; None when it does not fit (liblzf's 0)."""
    in_len = len(data)
    if not in_len or not out_len:
        return None
    ip_data = data
    out = bytearray()
    htab: dict[int, int] = {}
    lit = 0
    out.append(0)  # start run: placeholder for the literal count
    run_at = 0
    ip = 0
    in_end = in_len
    hval = (ip_data[0] << 8) | ip_data[1] if in_len > 1 else 0
    while ip < in_end - 2:
        hval = ((hval << 8) | ip_data[ip + 2]) & 0xFFFFFF
        slot = ((hval >> (24 - HLOG)) - hval * 5) & (HSIZE - 1)
        ref = htab.get(slot, -1)
        htab[slot] = ip
        off = ip - ref - 1
        if (
            ref > 0
            and off < MAX_OFF
            and ip_data[ref + 2] == ip_data[ip + 2]
            and ip_data[ref] == ip_data[ip]
            and ip_data[ref + 1] == ip_data[ip + 1]
        ):
            length = 2
            maxlen = in_end - ip - length
            if maxlen > MAX_REF:
                maxlen = MAX_REF
            op = len(out)
            if op + 3 + 1 >= out_len:
                if op - (not lit) + 3 + 1 >= out_len:
                    return None
            out[run_at] = lit - 1 & 0xFF
            if not lit:
                out.pop()  # undo the empty run
            done = False
            if maxlen > 16:
                for _ in range(16):
                    length += 1
                    if ip_data[ref + length] != ip_data[ip + length]:
                        done = True
                        break
            if not done:
                length += 1
                while length < maxlen and ip_data[ref + length] == ip_data[ip + length]:
                    length += 1
            length -= 2
            ip += 1
            if length < 7:
                out.append((off >> 8) + (length << 5))
            else:
                out.append((off >> 8) + (7 << 5))
                out.append(length - 7)
            out.append(off & 0xFF)
            lit = 0
            run_at = len(out)
            out.append(0)
            ip += length + 1
            if ip >= in_end - 2:
                break
            ip -= 2
            hval = (ip_data[ip] << 8) | ip_data[ip + 1]
            hval = ((hval << 8) | ip_data[ip + 2]) & 0xFFFFFF
            htab[((hval >> (24 - HLOG)) - hval * 5) & (HSIZE - 1)] = ip
            ip += 1
            hval = ((hval << 8) | ip_data[ip + 2]) & 0xFFFFFF
            htab[((hval >> (24 - HLOG)) - hval * 5) & (HSIZE - 1)] = ip
            ip += 1
        else:
            if len(out) >= out_len:
                return None
            lit += 1
            out.append(ip_data[ip])
            ip += 1
            if lit == MAX_LIT:
                out[run_at] = lit - 1
                lit = 0
                run_at = len(out)
                out.append(0)
    if len(out) + 3 > out_len:
        return None
    while ip < in_end:
        lit += 1
        out.append(ip_data[ip])
        ip += 1
        if lit == MAX_LIT:
            out[run_at] = lit - 1
            lit = 0
            run_at = len(out)
            out.append(0)
    out[run_at] = lit - 1 & 0xFF
    if not lit:
        out.pop()
    if len(out) > out_len:
        return None
    return bytes(out)


def decompress(data: bytes, out_len: int) -> bytes:
    """Decompress to exactly out_len bytes; LZFError on malformed input."""
    out = bytearray()
    ip = 0
    n = len(data)
    while ip < n:
        ctrl = data[ip]
        ip += 1
        if ctrl < 32:
            ctrl += 1
            if ip + ctrl > n:
                raise LZFError("literal run past the end of the input")
            out += data[ip : ip + ctrl]
            ip += ctrl
        else:
            length = ctrl >> 5
            if length == 7:
                if ip >= n:
                    raise LZFError("truncated match length")
                length += data[ip]
                ip += 1
            if ip >= n:
                raise LZFError("truncated match offset")
            ref = len(out) - ((ctrl & 0x1F) << 8) - data[ip] - 1
            ip += 1
            if ref < 0:
                raise LZFError("back reference before the start")
            length += 2
            if ref + length <= len(out):
                out += out[ref : ref + length]
            else:
                for k in range(length):
                    out.append(out[ref + k])
        if len(out) > out_len:
            raise LZFError("output longer than announced")
    if len(out) != out_len:
        raise LZFError("output shorter than announced")
    return bytes(out)
