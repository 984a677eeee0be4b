"""h2spec's hpack/ group: field blocks that RFC 7541 says a decoder must refuse. A decoding error
breaks the connection's shared compression state, so each is a connection error of type
COMPRESSION_ERROR (RFC 9113 §4.3). Each case appends (or prepends) one hand-made representation
to an otherwise normal GET."""

from framework import (COMPRESSION_ERROR, HEADER_TABLE_SIZE, case, connection_error,
                       expect_connection_error)
import hpack_wire as wire

EXPECT = expect_connection_error(COMPRESSION_ERROR)


def request_with(conn, ctx, representation, before=False):
    conn.handshake()
    block = conn.encode(ctx.request())
    conn.send_headers(1, representation + block if before else block + representation)
    return connection_error(conn, COMPRESSION_ERROR)


# -- hpack/2.3.3: Index Address Space ------------------------------------------------------

@case("hpack/2.3.3/1", "RFC 7541 §2.3.3", EXPECT)
def indexed_beyond_tables(conn, ctx):
    """Sends an indexed field line with an index beyond both tables (70)"""
    # After the request's own fields the dynamic table holds one entry (:authority), index 62.
    return request_with(conn, ctx, wire.indexed(70))


@case("hpack/2.3.3/2", "RFC 7541 §2.3.3", EXPECT)
def literal_name_index_beyond_tables(conn, ctx):
    """Sends a literal field line whose name index is beyond both tables (70)"""
    return request_with(conn, ctx, wire.integer(70, 6, 0x40) + wire.string(""))


# -- hpack/4.2: Maximum Table Size ---------------------------------------------------------

@case("hpack/4.2/1", "RFC 7541 §4.2", EXPECT)
def table_size_update_at_end(conn, ctx):
    """Sends a dynamic table size update at the end of a field block (only the start is allowed)"""
    return request_with(conn, ctx, wire.table_size_update(1))


# -- hpack/5.2: String Literal Representation ----------------------------------------------

def x_test_with_huffman_value(value_octets):
    """'x-test' (Huffman-coded, valid) with a value whose Huffman octets are given as they are."""
    return b"\x00" + wire.string("x-test", huffman=True) + wire.string_raw_bytes(value_octets, True)


@case("hpack/5.2/1", "RFC 7541 §5.2", EXPECT)
def huffman_padding_too_long(conn, ctx):
    """Sends a Huffman-coded string with padding longer than 7 bits"""
    bits = wire.huffman_bits("test") + "1" * 8  # a whole octet of EOS prefix after the padding
    bits = wire.huffman_padded(bits)
    return request_with(conn, ctx, x_test_with_huffman_value(wire.bits_to_bytes(bits)))


@case("hpack/5.2/2", "RFC 7541 §5.2", EXPECT)
def huffman_padding_zeros(conn, ctx):
    """Sends a Huffman-coded string padded with zeros instead of the EOS prefix"""
    bits = wire.huffman_padded(wire.huffman_bits("test"), padding_bit="0")
    return request_with(conn, ctx, x_test_with_huffman_value(wire.bits_to_bytes(bits)))


@case("hpack/5.2/3", "RFC 7541 §5.2", EXPECT)
def huffman_with_eos(conn, ctx):
    """Sends a Huffman-coded string containing the EOS symbol"""
    bits = wire.huffman_bits("tes", symbols_after=[wire.EOS]) + wire.huffman_bits("t")
    return request_with(conn, ctx, x_test_with_huffman_value(wire.bits_to_bytes(wire.huffman_padded(bits))))


# -- hpack/6.1: Indexed Header Field Representation ----------------------------------------

@case("hpack/6.1/1", "RFC 7541 §6.1", EXPECT)
def indexed_zero(conn, ctx):
    """Sends an indexed field line with index 0"""
    return request_with(conn, ctx, wire.indexed(0))


# -- hpack/6.3: Dynamic Table Size Update --------------------------------------------------

@case("hpack/6.3/1", "RFC 7541 §6.3", EXPECT)
def table_size_update_above_setting(conn, ctx):
    """Sends a dynamic table size update larger than the server's SETTINGS_HEADER_TABLE_SIZE"""
    conn.handshake()
    limit = conn.server_settings.get(HEADER_TABLE_SIZE, 4096)
    block = wire.table_size_update(limit + 1) + conn.encode(ctx.request())
    conn.send_headers(1, block)
    return connection_error(conn, COMPRESSION_ERROR)
