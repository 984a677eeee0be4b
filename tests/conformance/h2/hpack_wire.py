"""Hand-made HPACK representations (RFC 7541 section 6), valid and invalid, for the cases that
append one to a normal request's field block. hpack's Encoder only produces valid blocks, and
produces them its own way; these spell out the exact bytes each case is about."""

from hpack.huffman_constants import REQUEST_CODES, REQUEST_CODES_LENGTH

EOS = 256


def integer(value, prefix_bits, first_byte_flags=0):
    """RFC 7541 section 5.1: `value` with an N-bit prefix; the flags occupy the bits above it."""
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first_byte_flags | value])
    out = [first_byte_flags | limit]
    value -= limit
    while value >= 128:
        out.append((value & 0x7f) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def huffman_bits(text, symbols_after=()):
    """The Huffman code of `text` (then of extra symbols such as EOS) as a string of '0'/'1'."""
    symbols = list(text.encode("latin-1")) + list(symbols_after)
    return "".join(format(REQUEST_CODES[s], "0%db" % REQUEST_CODES_LENGTH[s]) for s in symbols)


def bits_to_bytes(bits):
    assert len(bits) % 8 == 0, "pad the bits to whole octets first"
    return bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits), 8))


def huffman_padded(bits, padding_bit="1"):
    """Pads to a whole octet with the most significant bits of EOS (all ones), as section 5.2 asks;
    padding_bit='0' gives the invalid zero padding."""
    return bits + padding_bit * (-len(bits) % 8)


def string(text, huffman=False):
    """A string literal (section 5.2), Huffman-coded or not."""
    if huffman:
        data = bits_to_bytes(huffman_padded(huffman_bits(text)))
        return integer(len(data), 7, 0x80) + data
    data = text.encode("latin-1")
    return integer(len(data), 7) + data


def string_raw_bytes(data, huffman_flag):
    """A string literal whose octets are given as they are (for invalid Huffman codes)."""
    return integer(len(data), 7, 0x80 if huffman_flag else 0) + data


# The three literal kinds of section 6.2: (prefix bits of the name index, flags of the first byte).
WITH_INDEXING = (6, 0x40)
WITHOUT_INDEXING = (4, 0x00)
NEVER_INDEXED = (4, 0x10)


def literal(kind, name, value, huffman=False):
    """A literal field line; `name` is a static table index (int) or a new name (str)."""
    prefix_bits, flags = kind
    if isinstance(name, int):
        return integer(name, prefix_bits, flags) + string(value, huffman)
    return bytes([flags]) + string(name, huffman) + string(value, huffman)


def indexed(index):
    """An indexed field line (section 6.1)."""
    return integer(index, 7, 0x80)


def table_size_update(size):
    """A dynamic table size update (section 6.3)."""
    return integer(size, 5, 0x20)


USER_AGENT_INDEX = 58  # static table entry 58 is 'user-agent' with an empty value (Appendix A)
