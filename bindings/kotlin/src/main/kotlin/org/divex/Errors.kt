package org.divex

import org.divex.ffi.DivexException as FfiError
import org.divex.ffi.InternalException as FfiInternal

/**
 * Every failure of a divex call. The subclass is the *failure class* — what a caller acts on
 * differently — and is exhaustive, so a `when` over it needs no `else`:
 *
 * ```kotlin
 * try {
 *     Divex.openDisclosure(envelope, court, directory, consents, now)
 * } catch (e: DivexException) {
 *     when (e) {
 *         is EnvelopeException -> quarantine(e.code)   // e.g. "bad_signature", "replay"
 *         is DeniedException -> log.warn("refused for ${e.recipient}: ${e.message}")
 *         else -> throw e
 *     }
 * }
 * ```
 *
 * [code] is the core's stable snake_case name of the failure inside its class (the same names
 * the Rust crates, the Python package and `spec/vectors` use), and [message] is the core's own
 * message, never a secret or a record value.
 */
sealed class DivexException(
    /** The stable snake_case name of the failure within its class, e.g. `not_for_me`. */
    val code: String,
    message: String,
    cause: Throwable? = null,
) : Exception(message, cause) {
    /** The core's message (never null). */
    override val message: String
        get() = super.message ?: ""
}

/**
 * An envelope check of spec/envelope.md §7 failed (`not_for_me`, `bad_signature`, `replay`,
 * `malformed`, `decrypt`...), or the COSE-HPKE encryption layer refused a message.
 */
class EnvelopeException(code: String, message: String, cause: Throwable? = null) :
    DivexException(code, message, cause)

/**
 * Sealing was refused before any consent question (`no_recipients`, `too_many_recipients`,
 * `duplicate_recipient`, `invalid_field`, `too_large`, `crypto`).
 */
class SealException(code: String, message: String, cause: Throwable? = null) :
    DivexException(code, message, cause)

/**
 * The consent engine denied the disclosure to [recipient] (`code` is the engine's reason,
 * e.g. `revoked`, `record_type_not_permitted`, `field_not_permitted`).
 */
class DeniedException(
    code: String,
    /** The agency the disclosure was refused to (on open: this agency). */
    val recipient: String,
    message: String,
    cause: Throwable? = null,
) : DivexException(code, message, cause)

/**
 * A consent, consent revocation or case event was refused (`deficient`, `bad_signature`,
 * `future_dated`, `uncertified_witness`...).
 */
class ConsentException(code: String, message: String, cause: Throwable? = null) :
    DivexException(code, message, cause)

/**
 * The disclosure around a valid envelope is not acceptable (`payload`, `consent_mismatch`,
 * `consent_unavailable`, `copy_required`, `obligations_not_met`).
 */
class DisclosureException(code: String, message: String, cause: Throwable? = null) :
    DivexException(code, message, cause)

/**
 * A record was refused (`unknown_field`, `invalid_value`, `missing_field`, `malformed`...).
 * Messages name fields, never values.
 */
class RecordException(code: String, message: String, cause: Throwable? = null) :
    DivexException(code, message, cause)

/**
 * A certificate, revocation, trust anchor or directory was refused, or a directory query found
 * no trustworthy answer (`unknown_anchor`, `expired`, `revoked`, `unknown_agency`...).
 */
class DirectoryException(code: String, message: String, cause: Throwable? = null) :
    DivexException(code, message, cause)

/** A public key or signature was refused (`length`, `weak_signing_key`, `malformed_bundle`...). */
class KeyException(code: String, message: String, cause: Throwable? = null) :
    DivexException(code, message, cause)

/** The disclosure ledger failed (`database`, `not_a_ledger`, `replay`, `tampered`...). */
class LedgerException(code: String, message: String, cause: Throwable? = null) :
    DivexException(code, message, cause)

/** An encrypted keystore could not be opened or written (`wrong_passphrase`, `corrupted`...). */
class KeystoreException(code: String, message: String, cause: Throwable? = null) :
    DivexException(code, message, cause)

/** An argument is not what the call takes (`json`, `length`, `unknown_record_type`, `argument`). */
class InvalidInputException(code: String, message: String, cause: Throwable? = null) :
    DivexException(code, message, cause)

/**
 * A bug: the Rust library panicked (uniffi catches the panic at the boundary, so the process
 * survives) or returned something the bindings could not read. `code` is `internal`.
 */
class InternalException(message: String, cause: Throwable? = null) :
    DivexException("internal", message, cause)

/** The facade's exception for a generated one, keeping the core's message and code. */
internal fun FfiError.toDivex(): DivexException = when (this) {
    is FfiError.Envelope -> EnvelopeException(code, detail, this)
    is FfiError.Seal -> SealException(code, detail, this)
    is FfiError.Denied -> DeniedException(code, recipient, detail, this)
    is FfiError.Consent -> ConsentException(code, detail, this)
    is FfiError.Disclosure -> DisclosureException(code, detail, this)
    is FfiError.Record -> RecordException(code, detail, this)
    is FfiError.Directory -> DirectoryException(code, detail, this)
    is FfiError.Key -> KeyException(code, detail, this)
    is FfiError.Ledger -> LedgerException(code, detail, this)
    is FfiError.Keystore -> KeystoreException(code, detail, this)
    is FfiError.InvalidInput -> InvalidInputException(code, detail, this)
}

/** Runs a call into the generated bindings, translating its exceptions to [DivexException]. */
internal inline fun <T> ffi(block: () -> T): T =
    try {
        block()
    } catch (e: FfiError) {
        throw e.toDivex()
    } catch (e: FfiInternal) {
        throw InternalException(e.message ?: "internal error in the divex library", e)
    }

/** A time in Unix seconds as the library takes it; negative times are refused. */
internal fun seconds(value: Long, what: String): ULong {
    if (value < 0) {
        throw InvalidInputException("argument", "$what must be Unix seconds, not negative")
    }
    return value.toULong()
}
