package org.divex

import org.divex.ffi.Directory as FfiDirectory

/**
 * Trust anchors, agency certificates and certificate revocations, each verified when added and
 * queried offline against a caller-supplied time (spec/directory.md). Thread-safe.
 */
class Directory private constructor(native: FfiDirectory) : NativeObject<FfiDirectory>(native) {
    /** An empty directory: it trusts nothing until an anchor is added. */
    constructor() : this(ffi { FfiDirectory() })

    companion object {
        /** A directory from its bundle encoding ([toBytes]), every item verified. */
        @JvmStatic
        fun fromBytes(bundle: ByteArray): Directory = Directory(ffi { FfiDirectory.fromBytes(bundle) })
    }

    /** The bundle encoding: what agencies exchange. */
    fun toBytes(): ByteArray = ffi { native.toBytes() }

    /**
     * Pins a trust anchor ([AnchorKeys.trustAnchor]). Compare its key id with the authority's
     * published fingerprint first.
     */
    fun addAnchor(anchor: ByteArray): AnchorInfo = ffi { native.addAnchor(anchor) }

    /** Verifies a certificate against the pinned anchors and adds it. */
    fun addCertificate(certificate: ByteArray): CertificateInfo = ffi { native.addCertificate(certificate) }

    /** Verifies a certificate revocation against the pinned anchors and adds it. */
    fun addRevocation(revocation: ByteArray): RevocationInfo = ffi { native.addRevocation(revocation) }

    /** Adds a bundle's certificates and revocations, all or nothing (its anchors must be pinned). */
    fun merge(bundle: ByteArray) = ffi { native.merge(bundle) }

    /** Whether [certificate] is trustworthy at [now]; returns its fields. */
    fun checkCertificate(certificate: ByteArray, now: Long): CertificateInfo =
        ffi { native.checkCertificate(certificate, seconds(now, "now")) }

    /** The agency's certificate valid at [now] (the newest, after a rotation). */
    fun currentCertificate(agencyId: String, now: Long): CertificateInfo =
        ffi { native.currentCertificate(agencyId, seconds(now, "now")) }

    /** The pinned anchors. */
    val anchors: List<AnchorInfo> get() = ffi { native.anchors() }

    /** Every certificate held (valid or not at any particular time). */
    val certificates: List<CertificateInfo> get() = ffi { native.certificates() }

    /** Every revocation held. */
    val revocations: List<RevocationInfo> get() = ffi { native.revocations() }

    override fun toString(): String = describe("Directory") {
        "${anchors.size} anchors, ${certificates.size} certificates, ${revocations.size} revocations"
    }
}
