package org.divex

// The plain values of the API are the generated records and enums (package org.divex.ffi),
// re-exported here so that callers import only org.divex. Records are immutable data classes;
// byte strings are ByteArray and times are ULong Unix seconds in them.

/** A public key bundle's contents ([Divex.publicBundleInfo]). */
typealias PublicBundleInfo = org.divex.ffi.PublicBundleInfo

/** What an anchor is asked to certify ([AnchorKeys.issueCertificate]). */
typealias CertificateRequest = org.divex.ffi.CertificateRequest

/** A certificate's fields. */
typealias CertificateInfo = org.divex.ffi.CertificateInfo

/** A certificate revocation's fields. */
typealias RevocationInfo = org.divex.ffi.RevocationInfo

/** A trust anchor's public side. */
typealias AnchorInfo = org.divex.ffi.AnchorInfo

/** A verified consent. */
typealias ConsentInfo = org.divex.ffi.ConsentInfo

/** A verified consent revocation. */
typealias ConsentRevocationInfo = org.divex.ffi.ConsentRevocationInfo

/** A verified case event. */
typealias CaseEventInfo = org.divex.ffi.CaseEventInfo

/** One result of a drug test. */
typealias AnalyteResult = org.divex.ffi.AnalyteResult

/** One field of a record type's schema. */
typealias FieldSpec = org.divex.ffi.FieldSpec

/** The participant a disclosure is about. */
typealias Subject = org.divex.ffi.Subject

/** Refuse (default) or redact record fields the consent does not permit. */
typealias MinimumNecessary = org.divex.ffi.MinimumNecessary

/** Attach the signed consent (default) or send a reference to it. */
typealias ConsentCopy = org.divex.ffi.ConsentCopy

/** An envelope's signed metadata. */
typealias EnvelopeMetadata = org.divex.ffi.EnvelopeMetadata

/** What the directory certifies about an agency. */
typealias AgencyFactsInfo = org.divex.ffi.AgencyFactsInfo

/** What the recipient must do with a released record. */
typealias Obligations = org.divex.ffi.Obligations

/** A sender the envelope layer trusts ([Divex.openEnvelope]). */
typealias KnownSender = org.divex.ffi.KnownSender

/** An envelope that passed every check of the envelope layer ([Divex.openEnvelope]). */
typealias OpenedEnvelope = org.divex.ffi.OpenedEnvelope

/** Sent or received. */
typealias Direction = org.divex.ffi.Direction

/** One ledger entry. */
typealias LedgerEntry = org.divex.ffi.LedgerEntry

/** A signed checkpoint of a ledger's head. */
typealias Checkpoint = org.divex.ffi.Checkpoint

/** What [Ledger.verify] checked. */
typealias VerifyReport = org.divex.ffi.VerifyReport

/** How expensive a keystore's passphrase key derivation is (`INTERACTIVE` for real keys). */
typealias KdfProfile = org.divex.ffi.KdfProfile

/** What a keystore holds. */
typealias KeystoreKind = org.divex.ffi.KeystoreKind

/** A keystore's public header ([Divex.keystoreInfo]). */
typealias KeystoreInfo = org.divex.ffi.KeystoreInfo

/**
 * A handle on an object that lives in the Rust library. Close it (or use `use { }`) when done:
 * that frees it — and zeroizes it, for secret keys — at once instead of whenever the garbage
 * collector's cleaner gets to it. Calling a closed object throws [IllegalStateException].
 */
abstract class NativeObject<T : AutoCloseable> internal constructor(
    internal val native: T,
) : AutoCloseable {
    override fun close() = native.close()

    /** `Name(fields)`, or `Name(closed)` once closed; never a secret. */
    internal inline fun describe(name: String, fields: () -> String): String =
        try {
            "$name(${fields()})"
        } catch (e: IllegalStateException) {
            "$name(closed)"
        }
}

/**
 * Closes every object registered with [closing] when [withResources] ends, the last registered
 * first, so a flow with many native objects needs no nested `use { }` blocks:
 *
 * ```kotlin
 * withResources {
 *     val court = AgencyKeys.generate().closing()
 *     val directory = Directory.fromBytes(bundle).closing()
 *     ...
 * }
 * ```
 */
class ResourceScope @PublishedApi internal constructor() : AutoCloseable {
    private val resources = ArrayDeque<AutoCloseable>()

    /** Registers this object to be closed when the scope ends; returns it. */
    fun <T : AutoCloseable> T.closing(): T = also { resources.addLast(it) }

    override fun close() {
        var failure: Throwable? = null
        while (resources.isNotEmpty()) {
            try {
                resources.removeLast().close()
            } catch (t: Throwable) {
                if (failure == null) failure = t else failure.addSuppressed(t)
            }
        }
        failure?.let { throw it }
    }
}

/** Runs [block] in a [ResourceScope] and closes what it registered, even on failure. */
inline fun <R> withResources(block: ResourceScope.() -> R): R = ResourceScope().use { it.block() }
