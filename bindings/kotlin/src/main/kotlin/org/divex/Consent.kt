package org.divex

import org.divex.ffi.ConsentSet as FfiConsentSet

/**
 * The verified consents, consent revocations and case events an agency holds: what the
 * consent engine reasons over when the agency seals and opens disclosures. Thread-safe.
 */
class ConsentSet private constructor(native: FfiConsentSet) : NativeObject<FfiConsentSet>(native) {
    /** An empty set. */
    constructor() : this(ffi { FfiConsentSet() })

    /** Verifies a signed consent against [directory] at [now] and adds it (idempotent). */
    fun importConsent(consent: ByteArray, directory: Directory, now: Long): ConsentInfo =
        ffi { native.importConsent(consent, directory.native, seconds(now, "now")) }

    /**
     * Verifies a revocation against the consent it names (which must be held) and adds it.
     * Whether it takes effect is the consent engine's call: a §2.35 consent is irrevocable
     * until its case's final disposition.
     */
    fun importRevocation(revocation: ByteArray, directory: Directory, now: Long): ConsentRevocationInfo =
        ffi { native.importRevocation(revocation, directory.native, seconds(now, "now")) }

    /** Verifies a case event (a court's or prosecutor's disposition) and adds it. */
    fun importEvent(event: ByteArray, directory: Directory, now: Long): CaseEventInfo =
        ffi { native.importEvent(event, directory.native, seconds(now, "now")) }

    /** The consent with this id, if held. */
    operator fun get(consentId: String): ConsentInfo? = ffi { native.get(consentId) }

    /** Every consent held. */
    val consents: List<ConsentInfo> get() = ffi { native.consents() }

    /** Every consent revocation held. */
    val revocations: List<ConsentRevocationInfo> get() = ffi { native.revocations() }

    /** Every case event held. */
    val events: List<CaseEventInfo> get() = ffi { native.events() }

    override fun toString(): String = describe("ConsentSet") {
        "${consents.size} consents, ${revocations.size} revocations, ${events.size} events"
    }
}
