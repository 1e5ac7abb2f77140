// A certified treatment provider reports a participant's drug test to the drug court under the
// participant's 42 CFR §2.35 consent (California PC 1000 deferred entry of judgment), and the
// court opens it. Every object that holds native state is closed when `withResources` ends.
//
//     mvn -f bindings/kotlin install && mvn -f examples/kotlin compile exec:java

package org.divex.examples

import java.nio.file.Files
import kotlin.io.path.deleteRecursively
import org.divex.AgencyKeys
import org.divex.AnalyteResult
import org.divex.AnchorKeys
import org.divex.CertificateRequest
import org.divex.ConsentCopy
import org.divex.ConsentSet
import org.divex.DeniedException
import org.divex.Directory
import org.divex.DrugTest
import org.divex.EnvelopeException
import org.divex.Ledger
import org.divex.MinimumNecessary
import org.divex.PersonalKey
import org.divex.Record
import org.divex.RecordType
import org.divex.Role
import org.divex.SealRequest
import org.divex.Subject
import org.divex.TypedRecord
import org.divex.openDisclosure
import org.divex.sealDisclosure
import org.divex.signConsent
import org.divex.toHex
import org.divex.withResources

const val DAY = 86_400uL
const val COURT = "superior-court"
const val PROVIDER = "treatment-provider"
const val CONSENT_ID = "c-pc1000-0001"
const val PURPOSE = "cj-monitor-conditional-release"

@OptIn(kotlin.io.path.ExperimentalPathApi::class)
fun main() = withResources {
    val now = 1_790_000_000uL // time is always a parameter (Unix seconds): 2026-09-21T14:13:20Z
    val participant = Subject(name = "Jordan Rivera", dateOfBirth = "1994-03-08")
    val home = Files.createTempDirectory("divex-example-")

    // 1. The county's trust anchor certifies both agencies, and publishes its directory.
    val anchor = AnchorKeys.generate("county-justice-it").closing()
    val provider = AgencyKeys.generate().closing()
    val court = AgencyKeys.generate().closing()
    val published = Directory().closing()
    published.addAnchor(anchor.trustAnchor())
    for ((id, name, role, keys) in listOf(
        Cast(PROVIDER, "Harbor Recovery Services", Role.TREATMENT_PROVIDER, provider),
        Cast(COURT, "Superior Court, drug court calendar", Role.COURT, court),
    )) {
        published.addCertificate(
            anchor.issueCertificate(
                CertificateRequest(
                    agencyId = id, name = name, roles = listOf(role), part2Program = id == PROVIDER,
                    publicBundle = keys.publicBundle(), notBefore = now - 30uL * DAY, notAfter = now + 730uL * DAY,
                ),
            ),
        )
    }
    println("anchor ${anchor.name()} (key id ${anchor.keyId().toHex()}) certified $PROVIDER and $COURT")

    // Each agency loads the published directory (verifying every certificate) and keeps its
    // own consents and its own ledger.
    val providerDirectory = Directory.fromBytes(published.toBytes()).closing()
    val courtDirectory = Directory.fromBytes(published.toBytes()).closing()
    val providerConsents = ConsentSet().closing()
    val courtConsents = ConsentSet().closing()
    val providerLedger = Ledger.open(home.resolve("provider.ledger").toString(), PROVIDER).closing()
    val courtLedger = Ledger.open(home.resolve("court.ledger").toString(), COURT).closing()

    // 2. At intake the participant signs the §2.35 consent; the provider witnesses it.
    val participantKey = PersonalKey.generate().closing()
    val consent = signConsent(
        consentJson(now, participant, participantKey.publicKey().toHex(), provider.signingPublicKey().toHex()),
        agencies = listOf(provider),
        people = listOf(participantKey),
    )
    val info = providerConsents.importConsent(consent, providerDirectory, now)
    println("consent ${info.id} (${info.regime}) signed by the participant, witnessed by $PROVIDER")

    // 3. The provider seals yesterday's drug test to the court and records the disclosure.
    val test = Record(
        TypedRecord.DrugTest(
            DrugTest(
                collectedAt = now - DAY,
                specimen = "urine",
                observed = true,
                panel = "10-panel",
                results = listOf("fentanyl", "amphetamines", "opiates").map { AnalyteResult(it, "negative") },
                confirmation = "not_required",
            ),
        ),
    ).closing()
    val request = SealRequest(
        recipients = listOf(COURT), subject = participant, purpose = PURPOSE, consentId = CONSENT_ID,
        minimumNecessary = MinimumNecessary.REFUSE, consentCopy = ConsentCopy.ATTACH,
    )
    val sealed = sealDisclosure(
        sender = provider, directory = providerDirectory, consents = providerConsents,
        record = test, request = request, now = now,
    ).closing()
    providerLedger.recordSent(sealed, now)
    val metadata = sealed.metadata()
    println("$PROVIDER sealed a ${metadata.recordType} in envelope ${sealed.envelopeId().toHex()} " +
        "(${sealed.envelope().size} bytes, labels ${metadata.labels}) to ${sealed.recipients()}")
    val envelope = sealed.envelope()

    // 4. The court opens it: decrypts, verifies the provider's signature and certificate,
    //    verifies the attached consent and re-checks that it permits this disclosure.
    val received = openDisclosure(envelope, court, courtDirectory, now + 600u, courtConsents, courtLedger).closing()
    courtLedger.recordReceived(received, now + 600u)
    val record = received.record().closing()
    println("$COURT opened a ${record.recordType()} from ${received.sender().agencyId}: ${record.toJson()}")
    println("  under consent ${received.consent().id}; redisclosure: ${received.obligations().redisclosure}")
    println("  notice: ${received.notice()}")

    // 5. The same envelope again is a replay; clinical detail is outside the consent.
    try {
        openDisclosure(envelope, court, courtDirectory, now + 700u, courtConsents, courtLedger).close()
    } catch (e: EnvelopeException) {
        println("opened again: refused (${e.code}): ${e.detail}")
    }
    try {
        val clinical = Record.fromJson(RecordType.CLINICAL_DETAIL, """{"diagnoses": ["F11.20"], "as_of": "2026-09-21"}""").closing()
        sealDisclosure(provider, providerDirectory, providerConsents, clinical, request, now + 800u).close()
    } catch (e: DeniedException) {
        println("clinical detail to the court: refused (${e.code}): ${e.detail}")
    }

    // 6. Both ledgers verify; the participant's accounting of disclosures (42 CFR §2.24).
    providerLedger.checkpoint(provider, now + 900u)
    val report = providerLedger.verify(provider.signingPublicKey())
    println("provider ledger verified: ${report.entries} entries, ${report.checkpoints} checkpoint(s)")
    println("court ledger verified: ${courtLedger.verify(court.signingPublicKey()).entries} entries")
    for (e in providerLedger.accounting(participant, now - DAY, now + DAY)) {
        println("accounting: #${e.seq} ${e.recordTypes} to ${e.counterparty} for ${e.purpose} under ${e.consentId}")
    }
    close() // the ledgers before their folder goes
    home.deleteRecursively()
}

private data class Cast(val id: String, val name: String, val role: Role, val keys: AgencyKeys)

/** The participant's §2.35 consent: the provider may disclose program records to the court. */
private fun consentJson(now: ULong, subject: Subject, participantKey: String, providerKey: String) = """
    {
      "id": "$CONSENT_ID",
      "version": 1,
      "regime": "part2_2_35",
      "regulatory_basis": ["42CFRPart2", "CA-PC-1000"],
      "subject": {"name": "${subject.name}", "date_of_birth": "${subject.dateOfBirth}"},
      "disclosers": [{"agency": "$PROVIDER"}],
      "recipients": [{"agency": "$COURT"}],
      "purposes": ["$PURPOSE"],
      "information": {
        "record_types": ["attendance", "drug_test", "progress_report"],
        "tiers": ["t1", "t2"],
        "description": "Attendance, drug test results and progress in the PC 1000 program"
      },
      "effective": $now,
      "expiry": {"date": ${now + 540uL * DAY}},
      "revocation": {"revocable_after": {"event": {"case_ref": "CR-2025-000417"}}},
      "redisclosure": "cj_official_duties_only",
      "notice": {"form": "short", "attach_consent": true},
      "case": {"case_ref": "CR-2025-000417", "authority": "$COURT"},
      "signers": [
        {"capacity": "patient", "name": "${subject.name}", "method": "electronic", "key": "$participantKey"},
        {"capacity": "witnessing_agency", "name": "Harbor Recovery Services", "method": "electronic",
         "key": "$providerKey", "agency_id": "$PROVIDER"}
      ],
      "signed_at": $now
    }
""".trimIndent()
