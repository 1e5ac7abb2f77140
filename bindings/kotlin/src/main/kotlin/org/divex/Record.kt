package org.divex

import org.divex.ffi.Record as FfiRecord

/**
 * A valid record of one of the thirteen record types (spec/records.md). Immutable; two records
 * are equal when their contents are.
 *
 * Every type can be built from its JSON map ([fromJson]: the record's CBOR field names, dates
 * `YYYY-MM-DD`, a drug test's `collected_at` in Unix seconds, hours in tenths, vocabulary
 * values as their tokens, absent optional fields left out); the three records a treatment
 * provider sends most have typed builders ([drugTest], [attendance], [progressReport]).
 */
class Record private constructor(native: FfiRecord) : NativeObject<FfiRecord>(native) {
    companion object {
        /** A record of type [recordType] (e.g. `drug_test`) from its JSON map. */
        @JvmStatic
        fun fromJson(recordType: String, json: String): Record =
            Record(ffi { FfiRecord.fromJson(recordType, json) })

        /** A record from its strict CBOR encoding. */
        @JvmStatic
        fun fromBytes(recordType: String, bytes: ByteArray): Record =
            Record(ffi { FfiRecord.fromBytes(recordType, bytes) })

        /**
         * A drug test (tier t2). [specimen]: `urine`, `oral_fluid`, `breath`, `blood`,
         * `sweat_patch`, `hair`; each result `negative`, `negative_dilute`, `positive`,
         * `positive_dilute`, `adulterated`, `substituted`, `invalid` or `rejected`;
         * [confirmation]: `not_required`, `pending`, `confirmed_positive`,
         * `confirmed_negative`; [programOutcome]: `missed`, `refused`, `tampered`.
         */
        @JvmStatic
        fun drugTest(
            collectedAt: Long,
            specimen: String,
            observed: Boolean,
            panel: String,
            results: Map<String, String>,
            confirmation: String? = null,
            programOutcome: String? = null,
            prescriptionConsistent: Boolean? = null,
        ): Record = Record(
            ffi {
                FfiRecord.drugTest(
                    seconds(collectedAt, "collectedAt"),
                    specimen,
                    observed,
                    panel,
                    results.map { (analyte, result) -> AnalyteResult(analyte, result) },
                    confirmation,
                    programOutcome,
                    prescriptionConsistent,
                )
            },
        )

        /**
         * One attendance entry (tier t1). [date] is `YYYY-MM-DD`; [serviceType]:
         * `individual`, `group`, `intensive_outpatient`, `residential`, `case_management`,
         * `other`; [status]: `present`, `absent`, `late`, `excused`; hours in tenths.
         */
        @JvmStatic
        fun attendance(
            date: String,
            serviceType: String,
            status: String,
            hoursTenths: Int? = null,
            cumulativeHoursTenths: Int? = null,
        ): Record = Record(
            ffi {
                FfiRecord.attendance(
                    date,
                    serviceType,
                    status,
                    hoursTenths?.let { count(it, "hoursTenths") },
                    cumulativeHoursTenths?.let { count(it, "cumulativeHoursTenths") },
                )
            },
        )

        /**
         * A progress report for a period (tier t2). [status]: `compliant`, `partial`,
         * `non_compliant`; [recommendedResponse]: `continue`, `incentive`, `sanction`,
         * `service_adjustment`, `phase_advance`, `discharge`.
         */
        @JvmStatic
        fun progressReport(
            periodStart: String,
            periodEnd: String,
            status: String,
            engagement: String? = null,
            goalsMet: Int? = null,
            barriers: List<String> = emptyList(),
            recommendedResponse: String? = null,
        ): Record = Record(
            ffi {
                FfiRecord.progressReport(
                    periodStart,
                    periodEnd,
                    status,
                    engagement,
                    goalsMet?.let { count(it, "goalsMet") },
                    barriers,
                    recommendedResponse,
                )
            },
        )

        /** The record type tokens, in catalogue order. */
        @JvmStatic
        fun types(): List<String> = ffi { org.divex.ffi.recordTypes() }

        /** Every field of [recordType] with its sensitivity tier. */
        @JvmStatic
        fun schema(recordType: String): List<FieldSpec> = ffi { org.divex.ffi.recordSchema(recordType) }

        internal fun wrap(native: FfiRecord) = Record(native)

        private fun count(n: Int, what: String): UInt {
            if (n < 0) throw InvalidInputException("argument", "$what must not be negative")
            return n.toUInt()
        }
    }

    /** The record type token, e.g. `drug_test`. */
    val recordType: String get() = ffi { native.recordType() }

    /** The record as a JSON map (the shape [fromJson] takes). */
    fun toJson(): String = ffi { native.toJson() }

    /** The strict CBOR encoding. */
    fun toBytes(): ByteArray = ffi { native.toBytes() }

    /** The fields present, with their tiers. */
    val fields: List<FieldSpec> get() = ffi { native.fields() }

    /** A copy without the named optional fields. */
    fun redact(fields: List<String>): Record = Record(ffi { native.redact(fields) })

    override fun equals(other: Any?): Boolean =
        other is Record && (other === this || ffi { native == other.native })

    override fun hashCode(): Int = toBytes().contentHashCode()

    /** The type only: a record's values are protected health information. */
    override fun toString(): String = describe("Record") { recordType }
}
