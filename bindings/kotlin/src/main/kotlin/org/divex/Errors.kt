package org.divex

// Every failure of a divex call is the generated sealed `DivexException` (one subclass per
// category of the library's class table), with the stable class in `code` and the library's
// message in `detail`. Why this file exists: the generated subclasses are nested
// (`DivexException.Envelope`), and Kotlin code names exceptions `…Exception`; these aliases
// give them those names. No class's code or message is written here (the one `when` below,
// which reads them from the base class, is exhaustive and fails to compile if a category is
// added), and a `when` over `DivexException` is exhaustive without `else`:
//
//     try {
//         openDisclosure(envelope, court, directory, now, consents)
//     } catch (e: DivexException) {
//         when (e) {
//             is EnvelopeException -> quarantine(e.code)   // e.g. "bad_signature", "replay"
//             is DeniedException -> log.warn("refused for ${e.recipient}: ${e.detail}")
//             else -> throw e
//         }
//     }
//
// `code` is the same class the `divex` CLI's `--json` output, the Python exceptions and the
// spec vectors' `expect` field use. The generated `message` is `code=…, detail=…` (uniffi
// formats it; a field named `message` would collide with `Throwable.message`); `detail` is the
// library's own message. A Rust panic (a bug) arrives as the generated `InternalException`,
// which is not a `DivexException`: it is no failure class a caller acts on.

/** An envelope check of spec/envelope.md §7 failed, or the COSE-HPKE layer refused a message. */
typealias EnvelopeException = DivexException.Envelope

/** Sealing was refused before any consent question. */
typealias SealException = DivexException.Seal

/** The consent engine denied the disclosure to `recipient`. */
typealias DeniedException = DivexException.Denied

/** A consent, consent revocation or case event was refused. */
typealias ConsentException = DivexException.Consent

/** The disclosure around a valid envelope is not acceptable (consent copy, obligations). */
typealias DisclosureException = DivexException.Disclosure

/** A record was refused; the message names the field, never its value. */
typealias RecordException = DivexException.Record

/** A certificate, revocation, trust anchor or directory was refused, or not found. */
typealias DirectoryException = DivexException.Directory

/** A public key or signature was refused. */
typealias KeyException = DivexException.Key

/** The disclosure ledger failed or found tampering (`tampered`). */
typealias LedgerException = DivexException.Ledger

/** An encrypted keystore could not be opened or written (`wrong_passphrase`, `corrupted`...). */
typealias KeystoreException = DivexException.Keystore

/** An argument is not what the call takes (`invalid_token`, `json`, `length`...). */
typealias InvalidInputException = DivexException.InvalidInput

// The generated classes carry `code` and `detail` on each category, not on the sealed base.
// A handler that treats every failure alike (logging, a vector runner) reads them from the
// base through these: the `when` is exhaustive over the sealed class, so a category added to
// the library fails to compile here rather than being missed.
private val DivexException.fields: Pair<String, String>
    get() = when (this) {
        is DivexException.Envelope -> code to detail
        is DivexException.Seal -> code to detail
        is DivexException.Denied -> code to detail
        is DivexException.Consent -> code to detail
        is DivexException.Disclosure -> code to detail
        is DivexException.Record -> code to detail
        is DivexException.Directory -> code to detail
        is DivexException.Key -> code to detail
        is DivexException.Ledger -> code to detail
        is DivexException.Keystore -> code to detail
        is DivexException.InvalidInput -> code to detail
    }

/** The failure's stable class, e.g. `not_for_me` (any category). */
val DivexException.code: String get() = fields.first

/** The library's message (any category). */
val DivexException.detail: String get() = fields.second
