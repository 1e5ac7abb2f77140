package org.divex

import org.divex.ffi.ReceivedDisclosure as FfiReceived
import org.divex.ffi.SealedDisclosure as FfiSealed

/** A sealed disclosure: the envelope to send, and what the sender's ledger records. */
class SealedDisclosure private constructor(native: FfiSealed) : NativeObject<FfiSealed>(native) {
    internal companion object {
        fun wrap(native: FfiSealed) = SealedDisclosure(native)
    }

    /** The envelope bytes: one envelope for every recipient. */
    val envelope: ByteArray get() = ffi { native.envelope() }

    /** The 16-byte envelope id. */
    val envelopeId: ByteArray get() = ffi { native.envelopeId() }

    /** SHA-256 of the envelope (what every ledger records). */
    val envelopeHash: ByteArray get() = ffi { native.envelopeHash() }

    /** The recipients, each of which the consent engine permitted. */
    val recipients: List<String> get() = ffi { native.recipients() }

    /** The security labels carried, e.g. `42CFRPart2`. */
    val labels: List<String> get() = ffi { native.labels() }

    /** Fields removed under minimum necessary ([MinimumNecessary.REDACT]). */
    val redacted: List<String> get() = ffi { native.redacted() }

    /** The consent relied on. */
    val consentId: String get() = ffi { native.consentId() }

    /** The purpose of use. */
    val purpose: String get() = ffi { native.purpose() }

    /** The record type token. */
    val recordType: String get() = ffi { native.recordType() }

    /** The participant. */
    val subject: Subject get() = ffi { native.subject() }

    override fun toString(): String = describe("SealedDisclosure") {
        "envelopeId=${envelopeId.toHex()}, recordType=$recordType, recipients=$recipients"
    }
}

/**
 * A released disclosure: every envelope check passed and the consent engine permitted it to
 * this agency as of the envelope's issue time.
 */
class ReceivedDisclosure private constructor(native: FfiReceived) : NativeObject<FfiReceived>(native) {
    internal companion object {
        fun wrap(native: FfiReceived) = ReceivedDisclosure(native)
    }

    /** The sending agency, as certified. */
    val sender: AgencyFactsInfo get() = ffi { native.sender() }

    /** The participant. */
    val subject: Subject get() = ffi { native.subject() }

    /** The record (a new object on each call; close it when done). */
    fun record(): Record = Record.wrap(ffi { native.record() })

    /** The signed metadata. */
    val metadata: EnvelopeMetadata get() = ffi { native.metadata() }

    /** The §2.32 notice statement that accompanied the record (empty for non-Part 2 data). */
    val notice: String get() = ffi { native.notice() }

    /** The consent the disclosure relied on, as verified. */
    val consent: ConsentInfo get() = ffi { native.consent() }

    /** What the recipient must do with the record (notice, labels, redisclosure rule). */
    val obligations: Obligations get() = ffi { native.obligations() }

    /** The sender's signed inner `COSE_Sign1`: evidence of what was disclosed. */
    val signed: ByteArray get() = ffi { native.signed() }

    /** SHA-256 of the envelope. */
    val envelopeHash: ByteArray get() = ffi { native.envelopeHash() }

    override fun toString(): String = describe("ReceivedDisclosure") {
        "sender=${sender.agencyId}, recordType=${metadata.recordType}"
    }
}
