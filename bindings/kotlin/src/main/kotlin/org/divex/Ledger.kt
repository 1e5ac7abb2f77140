package org.divex

import java.nio.file.Path
import org.divex.ffi.Ledger as FfiLedger

/**
 * An agency's disclosure ledger (one SQLite file): a hash-chained entry for every disclosure
 * sent and received, signed checkpoints, verification, and the participant's accounting of
 * disclosures (42 CFR §2.24). Thread-safe; close it to close the database.
 */
class Ledger private constructor(native: FfiLedger) : NativeObject<FfiLedger>(native) {
    companion object {
        /** Opens [agencyId]'s ledger at [path], creating the file if it does not exist. */
        @JvmStatic
        fun open(path: Path, agencyId: String): Ledger = open(path.toString(), agencyId)

        /** Opens [agencyId]'s ledger at [path], creating the file if it does not exist. */
        @JvmStatic
        fun open(path: String, agencyId: String): Ledger = Ledger(ffi { FfiLedger.open(path, agencyId) })
    }

    /** The agency whose ledger this is. */
    val agencyId: String get() = ffi { native.agencyId() }

    /** Records a sealed disclosure: one `SENT` entry per recipient, all or none. */
    fun recordSent(sealed: SealedDisclosure, time: Long): List<LedgerEntry> =
        ffi { native.recordSent(sealed.native, seconds(time, "time")) }

    /** Records a released disclosure; a second receipt of the same envelope is a `replay`. */
    fun recordReceived(received: ReceivedDisclosure, time: Long): LedgerEntry =
        ffi { native.recordReceived(received.native, seconds(time, "time")) }

    /** Signs the current head with the agency's [keys] and stores the checkpoint. */
    fun checkpoint(keys: AgencyKeys, time: Long): Checkpoint =
        ffi { native.checkpoint(keys.native, seconds(time, "time")) }

    /**
     * Verifies the whole chain and every checkpoint under the agency's [signingPublicKey]; an
     * edited, deleted, inserted or reordered entry is a [LedgerException] `tampered`.
     */
    fun verify(signingPublicKey: ByteArray): VerifyReport = ffi { native.verify(signingPublicKey) }

    /**
     * The participant's accounting of disclosures: every entry sent about [subject] with
     * `from <= time <= to`, in ledger order (run [verify] first).
     */
    fun accounting(subject: Subject, from: Long, to: Long): List<LedgerEntry> =
        ffi { native.accounting(subject, seconds(from, "from"), seconds(to, "to")) }

    /** Every entry, in order. */
    fun entries(): List<LedgerEntry> = ffi { native.entries() }

    /** Every checkpoint. */
    fun checkpoints(): List<Checkpoint> = ffi { native.checkpoints() }

    /** The ledger as JSON lines, for auditors. */
    fun export(): ByteArray = ffi { native.export() }

    override fun toString(): String = describe("Ledger") { agencyId }
}
