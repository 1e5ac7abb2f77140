package org.divex

import org.divex.ffi.Record as FfiRecord
import org.divex.ffi.TypedRecord

/**
 * A valid record of one of the record types of the catalogue (spec/records.md). Immutable;
 * two records are equal when their contents are.
 *
 * Every type has a generated typed class in `org.divex.ffi` (`DrugTest`, `Attendance`, ...:
 * one property per field, optional ones defaulting to `null`; dates `YYYY-MM-DD` and
 * vocabulary values as their tokens) and is built with [of] from its variant of
 * `org.divex.ffi.TypedRecord`, e.g. `Record.of(TypedRecord.CourtEvent(CourtEvent(caseRef =
 * ..., date = ..., event = "hearing")))`; [typed] reads the fields back. A record can also be built from its JSON map
 * ([fromJson]) or bytes ([fromBytes]); the three records a treatment provider sends most have
 * builders with Kotlin types ([drugTest], [attendance], [progressReport]).
 */
class Record private constructor(native: FfiRecord) : NativeObject<FfiRecord>(native) {
    companion object {
        /** The record with these typed fields. */
        @JvmStatic
        fun of(record: TypedRecord): Record = Record(ffi { FfiRecord(record) })

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
        ): Record = of(
            TypedRecord.DrugTest(
                org.divex.ffi.DrugTest(
                    collectedAt = seconds(collectedAt, "collectedAt"),
                    specimen = specimen,
                    observed = observed,
                    panel = panel,
                    results = results.map { (analyte, result) -> AnalyteResult(analyte, result) },
                    confirmation = confirmation,
                    programOutcome = programOutcome,
                    prescriptionConsistent = prescriptionConsistent,
                ),
            ),
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
        ): Record = of(
            TypedRecord.Attendance(
                org.divex.ffi.Attendance(
                    date = date,
                    serviceType = serviceType,
                    status = status,
                    hoursTenths = hoursTenths?.let { count(it, "hoursTenths") },
                    cumulativeHoursTenths = cumulativeHoursTenths?.let { count(it, "cumulativeHoursTenths") },
                ),
            ),
        )

        /**
         * A progress report for a period (tier t2). [status]: `compliant`, `partial`,
         * `non_compliant`; [recommendedResponse]: `continue`, `incentive`, `sanction`,
         * `service_adjustment`, `phase_advance`, `discharge`; no [barriers] leaves the field
         * out.
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
        ): Record = of(
            TypedRecord.ProgressReport(
                org.divex.ffi.ProgressReport(
                    periodStart = periodStart,
                    periodEnd = periodEnd,
                    status = status,
                    engagement = engagement,
                    goalsMet = goalsMet?.let { count(it, "goalsMet") },
                    barriers = barriers.ifEmpty { null },
                    recommendedResponse = recommendedResponse,
                ),
            ),
        )

        /** The record type tokens, in catalogue order. */
        @JvmStatic
        fun types(): List<String> = ffi { org.divex.ffi.recordTypes() }

        /** Every field of [recordType] with its sensitivity tier and kind. */
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

    /** The record's typed fields. */
    val typed: TypedRecord get() = ffi { native.typed() }

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
