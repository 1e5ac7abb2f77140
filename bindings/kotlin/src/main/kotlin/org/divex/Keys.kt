package org.divex

import org.divex.ffi.AgencyKeys as FfiAgencyKeys
import org.divex.ffi.AnchorKeys as FfiAnchorKeys
import org.divex.ffi.EncryptionKeyPair as FfiEncryptionKeyPair
import org.divex.ffi.PersonalKey as FfiPersonalKey

/**
 * An agency's secret keys: an Ed25519 signing key and an X25519 encryption key. The secrets
 * never leave the library except sealed under a passphrase ([exportKeystore]); they are
 * zeroized when the object is closed (or collected).
 */
class AgencyKeys private constructor(native: FfiAgencyKeys) : NativeObject<FfiAgencyKeys>(native) {
    companion object {
        /** Fresh keys from the operating system's CSPRNG. */
        @JvmStatic
        fun generate(): AgencyKeys = AgencyKeys(ffi { FfiAgencyKeys.generate() })

        /** Opens an agency keystore (the `divex` CLI's format) with its passphrase. */
        @JvmStatic
        fun fromKeystore(keystore: ByteArray, passphrase: String): AgencyKeys =
            AgencyKeys(ffi { FfiAgencyKeys.fromKeystore(keystore, passphrase) })

        /**
         * **Test vectors only**: keys from their 64 raw secret bytes as published in
         * `spec/vectors`. Real keys come from [generate] or [fromKeystore].
         */
        @JvmStatic
        fun fromSecretBytesTestVectorsOnly(secret: ByteArray): AgencyKeys =
            AgencyKeys(ffi { FfiAgencyKeys.fromSecretBytesTestVectorsOnly(secret) })
    }

    /** The public bundle (spec/envelope.md §3.3): what an anchor certifies. */
    val publicBundle: ByteArray get() = ffi { native.publicBundle() }

    /** The 32-byte Ed25519 public key (what verifies this agency's ledger checkpoints). */
    val signingPublicKey: ByteArray get() = ffi { native.signingPublicKey() }

    /** The 32-byte X25519 public key. */
    val encryptionPublicKey: ByteArray get() = ffi { native.encryptionPublicKey() }

    /** The 16-byte id of the signing key. */
    val signingKeyId: ByteArray get() = ffi { native.signingKeyId() }

    /** The 16-byte id of the encryption key (the `kid` of this agency's COSE recipients). */
    val encryptionKeyId: ByteArray get() = ffi { native.encryptionKeyId() }

    /** The keys sealed under [passphrase], labelled with the agency's directory id. */
    fun exportKeystore(
        agencyId: String,
        passphrase: String,
        profile: KdfProfile = KdfProfile.INTERACTIVE,
    ): ByteArray = ffi { native.exportKeystore(agencyId, passphrase, profile) }

    /** The encryption key pair alone, for the COSE-HPKE layer ([Divex.hpkeDecrypt]). */
    fun encryptionKeyPair(): EncryptionKeyPair =
        EncryptionKeyPair.wrap(ffi { native.encryptionKeyPair() })

    /**
     * Signs, as a certified agency (the witness or a named discloser), the participant's
     * revocation of consent [consentId] made at [revokedAt] by [method] (e.g. `written`).
     */
    fun signConsentRevocation(consentId: String, revokedAt: Long, method: String): ByteArray =
        ffi { native.signConsentRevocation(consentId, seconds(revokedAt, "revokedAt"), method) }

    /**
     * Signs, as the court or prosecutor with authority over [caseRef], its disposition
     * [outcome] (`dismissed`, `diversion_terminated`, `record_sealed`, `not_filed`,
     * `sentenced`) effective at [effectiveAt].
     */
    fun signCaseEvent(caseRef: String, outcome: String, effectiveAt: Long): ByteArray =
        ffi { native.signCaseEvent(caseRef, outcome, seconds(effectiveAt, "effectiveAt")) }

    override fun toString(): String = describe("AgencyKeys") { "signingKeyId=${signingKeyId.toHex()}" }
}

/**
 * A person's Ed25519 signing key: the participant, a parent or another representative signing
 * a consent or its revocation.
 */
class PersonalKey private constructor(native: FfiPersonalKey) : NativeObject<FfiPersonalKey>(native) {
    companion object {
        /** A fresh key from the operating system's CSPRNG. */
        @JvmStatic
        fun generate(): PersonalKey = PersonalKey(ffi { FfiPersonalKey.generate() })

        /** Opens a personal keystore with its passphrase. */
        @JvmStatic
        fun fromKeystore(keystore: ByteArray, passphrase: String): PersonalKey =
            PersonalKey(ffi { FfiPersonalKey.fromKeystore(keystore, passphrase) })
    }

    /** The 32-byte Ed25519 public key (a consent signer's `key`). */
    val publicKey: ByteArray get() = ffi { native.publicKey() }

    /** The 16-byte key id. */
    val keyId: ByteArray get() = ffi { native.keyId() }

    /** The key sealed under [passphrase], labelled [label] (e.g. the person's role). */
    fun exportKeystore(
        label: String,
        passphrase: String,
        profile: KdfProfile = KdfProfile.INTERACTIVE,
    ): ByteArray = ffi { native.exportKeystore(label, passphrase, profile) }

    /** Signs, as the participant or their representative, the revocation of [consentId]. */
    fun signConsentRevocation(consentId: String, revokedAt: Long, method: String): ByteArray =
        ffi { native.signConsentRevocation(consentId, seconds(revokedAt, "revokedAt"), method) }

    override fun toString(): String = describe("PersonalKey") { "keyId=${keyId.toHex()}" }
}

/**
 * A trust anchor's secret key (a county's justice-IT authority): issues and revokes agency
 * certificates.
 */
class AnchorKeys private constructor(native: FfiAnchorKeys) : NativeObject<FfiAnchorKeys>(native) {
    companion object {
        /** A fresh anchor key named [name] (1-128 bytes). */
        @JvmStatic
        fun generate(name: String): AnchorKeys = AnchorKeys(ffi { FfiAnchorKeys.generate(name) })

        /** Opens an anchor keystore with its passphrase. */
        @JvmStatic
        fun fromKeystore(keystore: ByteArray, passphrase: String): AnchorKeys =
            AnchorKeys(ffi { FfiAnchorKeys.fromKeystore(keystore, passphrase) })
    }

    /** The public side every agency pins ([Directory.addAnchor]). */
    val trustAnchor: ByteArray get() = ffi { native.trustAnchor() }

    /** The anchor's name. */
    val name: String get() = ffi { native.name() }

    /** The anchor's key id: the fingerprint operators compare when pinning it. */
    val keyId: ByteArray get() = ffi { native.keyId() }

    /** The key sealed under [passphrase] (keep it offline). */
    fun exportKeystore(passphrase: String, profile: KdfProfile = KdfProfile.INTERACTIVE): ByteArray =
        ffi { native.exportKeystore(passphrase, profile) }

    /** Issues a certificate (fresh random serial); returns the signed certificate. */
    fun issueCertificate(request: CertificateRequest): ByteArray =
        ffi { native.issueCertificate(request) }

    /**
     * Issues a certificate for the agency whose [publicBundle] is given, valid from
     * [notBefore] (inclusive) to [notAfter] (exclusive), Unix seconds. [roles]: `court`,
     * `prosecutor`, `probation`, `parole`, `police`, `lead_case_manager`,
     * `treatment_provider`, `intermediary`.
     */
    fun issueCertificate(
        agencyId: String,
        name: String,
        roles: List<String>,
        part2Program: Boolean,
        publicBundle: ByteArray,
        notBefore: Long,
        notAfter: Long,
    ): ByteArray = issueCertificate(
        CertificateRequest(
            agencyId = agencyId,
            name = name,
            roles = roles,
            part2Program = part2Program,
            publicBundle = publicBundle,
            notBefore = seconds(notBefore, "notBefore"),
            notAfter = seconds(notAfter, "notAfter"),
        ),
    )

    /**
     * Revokes the certificate with [serial] from [revokedAt] on, for [reason] (e.g.
     * `key_compromise`); returns the signed revocation.
     */
    fun revokeCertificate(serial: ByteArray, revokedAt: Long, reason: String): ByteArray =
        ffi { native.revokeCertificate(serial, seconds(revokedAt, "revokedAt"), reason) }

    override fun toString(): String = describe("AnchorKeys") { "name=$name, keyId=${keyId.toHex()}" }
}

/**
 * An X25519 key pair as HPKE-4-KE uses it: the recipient side of the COSE-HPKE encryption
 * layer on its own ([Divex.hpkeDecrypt]).
 */
class EncryptionKeyPair private constructor(native: FfiEncryptionKeyPair) :
    NativeObject<FfiEncryptionKeyPair>(native) {
    companion object {
        /**
         * **Test vectors only**: a key pair from a raw 32-byte X25519 secret. Real keys come
         * from [AgencyKeys.encryptionKeyPair].
         */
        @JvmStatic
        fun fromSecretBytesTestVectorsOnly(secret: ByteArray): EncryptionKeyPair =
            EncryptionKeyPair(ffi { FfiEncryptionKeyPair.fromSecretBytesTestVectorsOnly(secret) })

        internal fun wrap(native: FfiEncryptionKeyPair) = EncryptionKeyPair(native)
    }

    /** The 32-byte X25519 public key. */
    val publicKey: ByteArray get() = ffi { native.publicKey() }

    /** The 16-byte divex key id of the public key. */
    val keyId: ByteArray get() = ffi { native.keyId() }

    override fun toString(): String = describe("EncryptionKeyPair") { "keyId=${keyId.toHex()}" }
}

/** Lower-case hex. */
fun ByteArray.toHex(): String = joinToString("") { "%02x".format(it) }

/** Bytes from hex text (either case). */
fun String.hexToBytes(): ByteArray {
    require(length % 2 == 0) { "hex text must have an even length" }
    return ByteArray(length / 2) { i -> substring(2 * i, 2 * i + 2).toInt(16).toByte() }
}
