package org.divex

import org.divex.ffi.SealRequest

/**
 * The divex SDK's functions: consents, disclosures, the envelope layer and the COSE-HPKE
 * encryption layer. Objects with state are classes of this package ([AgencyKeys],
 * [Directory], [ConsentSet], [Record], [Ledger]...). Times are Unix seconds and always a
 * parameter. Every failure is a [DivexException].
 */
object Divex {
    /** The version of the divex library behind the bindings. */
    @JvmStatic
    fun version(): String = ffi { org.divex.ffi.version() }

    /** The role names a certificate may carry. */
    @JvmStatic
    fun roles(): List<String> = ffi { org.divex.ffi.roles() }

    // --- consents ---------------------------------------------------------------------------

    /**
     * Validates a consent directive described as JSON and signs it: one signature per signer
     * with a `key`, made by the agency or person whose public key that is (wet-ink signers
     * need no key). The JSON has the directive's field names (spec/consent.md): times in Unix
     * seconds, parties `{"agency": "id"}` or `{"role": "probation"}`, enum values as their
     * tokens, and a signer's `key` and `source_document.sha256` as hex. Returns the signed
     * consent.
     */
    @JvmStatic
    @JvmOverloads
    fun signConsent(
        directiveJson: String,
        agencies: List<AgencyKeys>,
        people: List<PersonalKey> = emptyList(),
    ): ByteArray = ffi {
        org.divex.ffi.signConsent(directiveJson, agencies.map { it.native }, people.map { it.native })
    }

    /**
     * Verifies a signed consent: every signature, the witnessing agency's certificate in
     * [directory] at [now], and every element its regime requires.
     */
    @JvmStatic
    fun verifyConsent(consent: ByteArray, directory: Directory, now: Long): ConsentInfo =
        ffi { org.divex.ffi.verifyConsent(consent, directory.native, seconds(now, "now")) }

    /** Verifies a consent revocation against the signed consent it names. */
    @JvmStatic
    fun verifyConsentRevocation(
        revocation: ByteArray,
        consent: ByteArray,
        directory: Directory,
        now: Long,
    ): ConsentRevocationInfo = ffi {
        org.divex.ffi.verifyConsentRevocation(revocation, consent, directory.native, seconds(now, "now"))
    }

    /** Verifies a case event's signature and signer (a certified court or prosecutor). */
    @JvmStatic
    fun verifyCaseEvent(event: ByteArray, directory: Directory, now: Long): CaseEventInfo =
        ffi { org.divex.ffi.verifyCaseEvent(event, directory.native, seconds(now, "now")) }

    // --- disclosures ------------------------------------------------------------------------

    /**
     * Seals [record] from [sender] to [recipients] (directory ids), if the consent engine
     * permits the disclosure to every one of them at [now] under consent [consentId] for
     * [purpose]. Refusals: [DeniedException] (the engine), [SealException],
     * [DirectoryException], [RecordException], [ConsentException], [DisclosureException].
     */
    @JvmStatic
    @JvmOverloads
    fun sealDisclosure(
        sender: AgencyKeys,
        directory: Directory,
        consents: ConsentSet,
        record: Record,
        recipients: List<String>,
        subject: Subject,
        purpose: String,
        consentId: String,
        now: Long,
        minimumNecessary: MinimumNecessary = MinimumNecessary.REFUSE,
        consentCopy: ConsentCopy = ConsentCopy.ATTACH,
    ): SealedDisclosure = SealedDisclosure.wrap(
        ffi {
            org.divex.ffi.sealDisclosure(
                sender.native,
                directory.native,
                consents.native,
                record.native,
                SealRequest(recipients, subject, purpose, consentId, minimumNecessary, consentCopy),
                seconds(now, "now"),
            )
        },
    )

    /**
     * Opens a disclosure addressed to [me] at [now]: every envelope check, then the consent
     * engine as of the envelope's issue time. With a [ledger], an envelope it already recorded
     * as received is refused as a replay ([EnvelopeException] `replay`); record the receipt
     * with [Ledger.recordReceived].
     */
    @JvmStatic
    @JvmOverloads
    fun openDisclosure(
        envelope: ByteArray,
        me: AgencyKeys,
        directory: Directory,
        consents: ConsentSet,
        now: Long,
        ledger: Ledger? = null,
    ): ReceivedDisclosure = ReceivedDisclosure.wrap(
        ffi {
            org.divex.ffi.openDisclosure(
                envelope,
                me.native,
                directory.native,
                consents.native,
                seconds(now, "now"),
                ledger?.native,
            )
        },
    )

    /**
     * The envelope layer alone (spec/envelope.md §7): opens [envelope] for [me], trusting
     * exactly the signing keys in [senders], refusing [seenEnvelopeIds] as replays. No
     * directory and no consent engine — this is what the envelope spec vectors exercise;
     * applications use [openDisclosure].
     */
    @JvmStatic
    @JvmOverloads
    fun openEnvelope(
        envelope: ByteArray,
        me: AgencyKeys,
        senders: List<KnownSender>,
        now: Long,
        seenEnvelopeIds: List<ByteArray> = emptyList(),
    ): OpenedEnvelope = ffi {
        org.divex.ffi.openEnvelope(envelope, me.native, senders, seconds(now, "now"), seenEnvelopeIds)
    }

    // --- the COSE-HPKE encryption layer alone (interop) --------------------------------------

    /**
     * Encrypts [plaintext] to one X25519 public key as a tagged `COSE_Encrypt`
     * (ChaCha20/Poly1305 content, one HPKE-4-KE recipient whose `kid` is the divex key id).
     */
    @JvmStatic
    @JvmOverloads
    fun hpkeEncrypt(
        recipientPublicKey: ByteArray,
        plaintext: ByteArray,
        externalAad: ByteArray = ByteArray(0),
    ): ByteArray = ffi { org.divex.ffi.hpkeEncrypt(recipientPublicKey, plaintext, externalAad) }

    /** Decrypts a tagged `COSE_Encrypt` whose HPKE-4-KE recipient [kid] is [key]'s. */
    @JvmStatic
    @JvmOverloads
    fun hpkeDecrypt(
        coseEncrypt: ByteArray,
        key: EncryptionKeyPair,
        kid: ByteArray,
        externalAad: ByteArray = ByteArray(0),
        extraInfo: ByteArray = ByteArray(0),
        hpkeAad: ByteArray = ByteArray(0),
    ): ByteArray = ffi {
        org.divex.ffi.hpkeDecrypt(coseEncrypt, key.native, kid, externalAad, extraInfo, hpkeAad)
    }

    // --- inspection -------------------------------------------------------------------------

    /** Parses a certificate **without** verifying it (display only; trust a [Directory]). */
    @JvmStatic
    fun certificateInfo(certificate: ByteArray): CertificateInfo = ffi { org.divex.ffi.certificateInfo(certificate) }

    /** Decodes and validates a trust anchor encoding. */
    @JvmStatic
    fun trustAnchorInfo(anchor: ByteArray): AnchorInfo = ffi { org.divex.ffi.trustAnchorInfo(anchor) }

    /** Decodes and validates a public key bundle. */
    @JvmStatic
    fun publicBundleInfo(bundle: ByteArray): PublicBundleInfo = ffi { org.divex.ffi.publicBundleInfo(bundle) }

    /** Reads a keystore's public header (unauthenticated until the keystore is opened). */
    @JvmStatic
    fun keystoreInfo(keystore: ByteArray): KeystoreInfo = ffi { org.divex.ffi.keystoreInfo(keystore) }

    /**
     * Panics inside the Rust library on purpose, to show that a panic arrives as an
     * [InternalException] and never crashes the JVM. For tests only.
     */
    @JvmStatic
    fun panicForBindingTests(message: String) = ffi { org.divex.ffi.panicForBindingTests(message) }
}
