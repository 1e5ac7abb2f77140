package org.divex

// Why this file exists: byte strings (key ids, envelope ids, public keys) are `ByteArray`s,
// which operators and logs read as hex, and consent JSON carries keys as hex.

/** Lower-case hex. */
fun ByteArray.toHex(): String = joinToString("") { "%02x".format(it) }

/** Bytes from hex text (either case). */
fun String.hexToBytes(): ByteArray {
    require(length % 2 == 0) { "hex text must have an even length" }
    return ByteArray(length / 2) { i -> substring(2 * i, 2 * i + 2).toInt(16).toByte() }
}
