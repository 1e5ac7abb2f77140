package org.divex

import java.nio.file.Files
import java.nio.file.Path

// Times are Unix seconds, `ULong` as the library takes them.
const val NOW = 1_790_000_000uL // 2026-09-21T14:13:20Z
const val DAY = 86_400uL

const val COURT = "superior-court"
const val DA = "district-attorney"
const val PROBATION = "probation"
const val PROVIDER = "treatment-provider"
const val CASE = "CR-2025-000417"
const val PC1000_ID = "c-pc1000-0001"
const val CJ_PURPOSE = "cj-monitor-conditional-release"

/** One agency: its keys, its copy of the directory, its consents and its ledger. */
class Agency(
    val id: String,
    val keys: AgencyKeys,
    val directory: Directory,
    val consents: ConsentSet,
    val ledger: Ledger,
) : AutoCloseable {
    override fun close() {
        listOf(ledger, consents, directory, keys).forEach { it.close() }
    }
}

/**
 * A county diversion case under California PC 1000: a trust anchor certifies the court, the
 * district attorney, probation and a certified treatment provider (a 42 CFR Part 2 program);
 * the participant signs a §2.35 consent witnessed by the provider. The one world helper of the
 * Kotlin suite: every test that needs agencies or a consent builds them here.
 */
class Pc1000World(dir: Path = Files.createTempDirectory("divex-kotlin-")) : AutoCloseable {
    val subject = Subject(name = "Jordan Rivera", dateOfBirth = "1994-03-08")
    val anchor = AnchorKeys.generate("county-justice-it")
    val participant = PersonalKey.generate()

    /** The directory the county publishes: one anchor, four certificates. */
    val published: Directory = Directory().also { d ->
        d.addAnchor(anchor.trustAnchor())
    }

    private val cast = listOf(
        Triple(COURT, "Superior Court, drug court calendar", Role.COURT),
        Triple(DA, "Office of the District Attorney", Role.PROSECUTOR),
        Triple(PROBATION, "County Probation Department", Role.PROBATION),
        Triple(PROVIDER, "Harbor Recovery Services", Role.TREATMENT_PROVIDER),
    )

    private val agencies: Map<String, Agency>

    init {
        val keys = cast.associate { (id, name, role) ->
            val k = AgencyKeys.generate()
            published.addCertificate(
                anchor.issueCertificate(
                    CertificateRequest(
                        agencyId = id,
                        name = name,
                        roles = listOf(role),
                        part2Program = id == PROVIDER,
                        publicBundle = k.publicBundle(),
                        notBefore = NOW - 36uL * DAY,
                        notAfter = NOW + 5uL * 365uL * DAY,
                    ),
                ),
            )
            id to k
        }
        // Every agency receives the published directory as bytes and verifies it itself.
        val bundle = published.toBytes()
        agencies = keys.mapValues { (id, k) ->
            Agency(id, k, Directory.fromBytes(bundle), ConsentSet(), Ledger.open(dir.resolve("$id.ledger").toString(), id))
        }
    }

    val court get() = agencies.getValue(COURT)
    val da get() = agencies.getValue(DA)
    val probation get() = agencies.getValue(PROBATION)
    val provider get() = agencies.getValue(PROVIDER)

    /**
     * The participant's §2.35 consent, as JSON: provider → court, DA, probation. [fields] is the
     * minimum-necessary allow-list per record type (none: every field of a permitted tier).
     */
    fun pc1000Json(
        attachConsent: Boolean = true,
        id: String = PC1000_ID,
        fields: Map<String, List<String>> = emptyMap(),
    ): String = """
        {
          "id": "$id",
          "version": 1,
          "regime": "part2_2_35",
          "regulatory_basis": ["42CFRPart2", "CA-PC-1000"],
          "subject": {"name": "${subject.name}", "date_of_birth": "${subject.dateOfBirth}"},
          "disclosers": [{"agency": "$PROVIDER"}],
          "recipients": [{"agency": "$COURT"}, {"agency": "$DA"}, {"role": "probation"}],
          "purposes": ["$CJ_PURPOSE"],
          "information": {
            "record_types": ["intake_status", "enrollment", "attendance", "drug_test", "progress_report", "discharge"],
            ${fieldsJson(fields)}"tiers": ["t1", "t2"],
            "description": "Enrollment, attendance, drug test results, progress and discharge in the PC 1000 program"
          },
          "effective": $NOW,
          "expiry": {"date": ${NOW + 540uL * DAY}},
          "revocation": {"revocable_after": {"event": {"case_ref": "$CASE"}}},
          "redisclosure": "cj_official_duties_only",
          "notice": {"form": "short", "attach_consent": $attachConsent},
          "case": {"case_ref": "$CASE", "authority": "$COURT"},
          "signers": [
            {"capacity": "patient", "name": "${subject.name}", "method": "electronic",
             "key": "${participant.publicKey().toHex()}"},
            {"capacity": "witnessing_agency", "name": "Harbor Recovery Services", "method": "electronic",
             "key": "${provider.keys.signingPublicKey().toHex()}", "agency_id": "$PROVIDER"}
          ],
          "signed_at": $NOW
        }
    """.trimIndent()

    private fun fieldsJson(fields: Map<String, List<String>>): String =
        if (fields.isEmpty()) {
            ""
        } else {
            fields.entries.joinToString(prefix = "\"fields\": {", postfix = "}, ") { (type, names) ->
                names.joinToString(prefix = "\"$type\": [", postfix = "]") { "\"$it\"" }
            }
        }

    /** Signs [json] (participant and witnessing provider) and gives it to every agency. */
    fun signAndDistribute(json: String = pc1000Json()): ByteArray {
        val consent = signConsent(json, listOf(provider.keys), listOf(participant))
        for (a in agencies.values) a.consents.importConsent(consent, a.directory, NOW)
        return consent
    }

    /** The drug test of the day before: observed urine, 10-panel, all negative. */
    fun drugTest(): Record = Record(
        TypedRecord.DrugTest(
            DrugTest(
                collectedAt = NOW - DAY,
                specimen = "urine",
                observed = true,
                panel = "10-panel",
                results = listOf("fentanyl", "amphetamines", "opiates").map { AnalyteResult(it, "negative") },
                confirmation = "not_required",
            ),
        ),
    )

    /** A seal request under the consent, from the provider to [recipients]. */
    fun request(
        recipients: List<String>,
        minimumNecessary: MinimumNecessary = MinimumNecessary.REFUSE,
        consentCopy: ConsentCopy = ConsentCopy.ATTACH,
    ) = SealRequest(recipients, subject, CJ_PURPOSE, PC1000_ID, minimumNecessary, consentCopy)

    override fun close() {
        agencies.values.forEach { it.close() }
        listOf(published, participant, anchor).forEach { it.close() }
    }
}
