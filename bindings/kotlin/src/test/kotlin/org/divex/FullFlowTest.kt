package org.divex

import kotlin.test.Test
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertNotNull
import kotlin.test.assertTrue

/** The whole PC 1000 story through the Kotlin facade. */
class FullFlowTest {
    @Test
    fun `provider reports a drug test to the court, which opens it, and every ledger verifies`() {
        Pc1000World().use { w ->
            // The participant's §2.35 consent, verified by every agency against its directory.
            val consent = w.signAndDistribute()
            val info = Divex.verifyConsent(consent, w.court.directory, NOW)
            assertEquals(PC1000_ID, info.id)
            assertEquals("part2_2_35", info.regime)
            assertEquals(32, info.digest.size)
            assertNotNull(w.court.consents[PC1000_ID])

            // Day 1: the provider seals yesterday's drug test to the court and probation.
            val now = NOW + 3600
            val sealed = w.drugTest().use { test ->
                Divex.sealDisclosure(
                    sender = w.provider.keys,
                    directory = w.provider.directory,
                    consents = w.provider.consents,
                    record = test,
                    recipients = listOf(COURT, PROBATION),
                    subject = w.subject,
                    purpose = CJ_PURPOSE,
                    consentId = PC1000_ID,
                    now = now,
                )
            }
            sealed.use {
                assertEquals(setOf(COURT, PROBATION), sealed.recipients.toSet())
                assertTrue("42CFRPart2" in sealed.labels, "labels: ${sealed.labels}")
                assertEquals("drug_test", sealed.recordType)
                assertEquals(16, sealed.envelopeId.size)
                val sent = w.provider.ledger.recordSent(sealed, now)
                assertEquals(setOf(COURT, PROBATION), sent.map { it.counterparty }.toSet())
                assertTrue(sent.all { it.direction == Direction.SENT })

                // The court opens it and records the receipt.
                val envelope = sealed.envelope
                Divex.openDisclosure(envelope, w.court.keys, w.court.directory, w.court.consents, now + 60, w.court.ledger)
                    .use { received ->
                        assertEquals(PROVIDER, received.sender.agencyId)
                        assertTrue(received.sender.part2Program)
                        assertEquals(w.subject, received.subject)
                        received.record().use { record ->
                            w.drugTest().use { assertEquals(it, record) }
                            assertEquals("drug_test", record.recordType)
                            assertTrue("10-panel" in record.toJson())
                        }
                        assertEquals(PC1000_ID, received.metadata.consentId)
                        assertEquals(CJ_PURPOSE, received.metadata.purpose)
                        assertContentEquals(sealed.envelopeId, received.metadata.envelopeId)
                        assertContentEquals(sealed.envelopeHash, received.envelopeHash)
                        assertEquals("part2-notice-short", received.obligations.notice)
                        assertEquals("cj_official_duties_only", received.obligations.redisclosure)
                        assertTrue(received.notice.contains("42 CFR part 2"), received.notice)
                        assertEquals(PC1000_ID, received.consent.id)
                        val entry = w.court.ledger.recordReceived(received, now + 60)
                        assertEquals(Direction.RECEIVED, entry.direction)
                        assertEquals(PROVIDER, entry.counterparty)
                    }

                // The same envelope again is a replay; the DA was not addressed at all.
                val replay = assertFailsWith<EnvelopeException> {
                    Divex.openDisclosure(envelope, w.court.keys, w.court.directory, w.court.consents, now + 120, w.court.ledger)
                }
                assertEquals("replay", replay.code)
                val notForDa = assertFailsWith<EnvelopeException> {
                    Divex.openDisclosure(envelope, w.da.keys, w.da.directory, w.da.consents, now + 60)
                }
                assertEquals("not_for_me", notForDa.code)

                // Probation opens the same envelope.
                Divex.openDisclosure(envelope, w.probation.keys, w.probation.directory, w.probation.consents, now + 90)
                    .use { assertEquals(PROVIDER, it.sender.agencyId) }
            }

            // Checkpoints, verification, the participant's accounting of disclosures.
            val cp = w.provider.ledger.checkpoint(w.provider.keys, now + 300)
            assertEquals(2uL, cp.seq)
            val report = w.provider.ledger.verify(w.provider.keys.signingPublicKey)
            assertEquals(2uL, report.entries)
            assertEquals(1uL, report.checkpoints)
            assertEquals(2uL, report.anchoredSeq)
            assertEquals(1uL, w.court.ledger.verify(w.court.keys.signingPublicKey).entries)
            val accounting = w.provider.ledger.accounting(w.subject, NOW, now + 1000)
            assertEquals(setOf(COURT, PROBATION), accounting.map { it.counterparty }.toSet())
            assertTrue(accounting.all { it.purpose == CJ_PURPOSE && it.consentId == PC1000_ID && it.recordTypes == listOf("drug_test") })
            assertTrue(String(w.provider.ledger.export()).lines().isNotEmpty())
            // Another agency's key does not verify the provider's checkpoints.
            assertFailsWith<LedgerException> { w.provider.ledger.verify(w.court.keys.signingPublicKey) }
        }
    }

    @Test
    fun `the consent engine refuses an over-share, ignores an early revocation, and honours a later one`() {
        Pc1000World().use { w ->
            w.signAndDistribute()
            fun seal(record: Record, recipients: List<String>, now: Long) = Divex.sealDisclosure(
                w.provider.keys, w.provider.directory, w.provider.consents, record,
                recipients, w.subject, CJ_PURPOSE, PC1000_ID, now,
            )

            // Clinical detail is not in the consent: refused before anything is sealed.
            val clinical = Record.fromJson(
                "clinical_detail",
                """{"diagnoses": ["F11.20"], "as_of": "2026-09-21", "moud": "buprenorphine"}""",
            )
            val denied = assertFailsWith<DeniedException> { clinical.use { seal(it, listOf(COURT), NOW + 60) } }
            assertEquals("record_type_not_permitted", denied.code)
            assertEquals(COURT, denied.recipient)
            assertTrue(denied.message.startsWith("disclosure to $COURT refused: "), denied.message)

            // An early revocation verifies but has no effect: §2.35 consent is irrevocable
            // until the final disposition of the case.
            val early = w.participant.signConsentRevocation(PC1000_ID, NOW + 2 * DAY, "written")
            val rev = w.provider.consents.importRevocation(early, w.provider.directory, NOW + 2 * DAY)
            assertEquals(null, rev.recordedBy)
            val beforeDisposition = w.drugTest().use { seal(it, listOf(COURT), NOW + 3 * DAY) }

            // The court dismisses the case; now a revocation takes effect.
            val dismissed = w.court.keys.signCaseEvent(CASE, "dismissed", NOW + 200 * DAY)
            assertEquals(COURT, Divex.verifyCaseEvent(dismissed, w.provider.directory, NOW + 200 * DAY).signerAgencyId)
            for (a in listOf(w.provider, w.court)) a.consents.importEvent(dismissed, a.directory, NOW + 200 * DAY)
            val later = w.participant.signConsentRevocation(PC1000_ID, NOW + 210 * DAY, "written")
            for (a in listOf(w.provider, w.court)) a.consents.importRevocation(later, a.directory, NOW + 210 * DAY)

            val revoked = assertFailsWith<DeniedException> {
                w.drugTest().use { seal(it, listOf(COURT), NOW + 217 * DAY) }
            }
            assertEquals("revoked", revoked.code)

            // What was sealed while the consent was in force stays lawful to open.
            beforeDisposition.use {
                Divex.openDisclosure(it.envelope, w.court.keys, w.court.directory, w.court.consents, NOW + 218 * DAY)
                    .use { r -> assertEquals("drug_test", r.metadata.recordType) }
            }
        }
    }

    @Test
    fun `keys survive a keystore round trip and objects are AutoCloseable`() {
        val keys = AgencyKeys.generate()
        val keystore = keys.exportKeystore(PROVIDER, "correct horse", KdfProfile.FAST)
        val header = Divex.keystoreInfo(keystore)
        assertEquals(KeystoreKind.AGENCY, header.kind)
        assertEquals(PROVIDER, header.id)
        AgencyKeys.fromKeystore(keystore, "correct horse").use { again ->
            assertContentEquals(keys.publicBundle, again.publicBundle)
        }
        keys.close()
        assertEquals("AgencyKeys(closed)", keys.toString())
        assertFailsWith<IllegalStateException> { keys.publicBundle }
    }

    @Test
    fun `the encryption layer alone round-trips`() {
        AgencyKeys.generate().use { keys ->
            keys.encryptionKeyPair().use { pair ->
                val msg = Divex.hpkeEncrypt(pair.publicKey, "hello".toByteArray(), "aad".toByteArray())
                val plain = Divex.hpkeDecrypt(msg, pair, pair.keyId, externalAad = "aad".toByteArray())
                assertEquals("hello", String(plain))
                val wrongAad = assertFailsWith<EnvelopeException> { Divex.hpkeDecrypt(msg, pair, pair.keyId) }
                assertEquals("decrypt", wrongAad.code)
            }
        }
    }

    @Test
    fun `withResources closes what it registered, last first`() {
        lateinit var keys: AgencyKeys
        lateinit var directory: Directory
        withResources {
            keys = AgencyKeys.generate().closing()
            directory = Directory().closing()
            assertEquals(32, keys.signingPublicKey.size)
        }
        assertFailsWith<IllegalStateException> { keys.publicBundle }
        assertFailsWith<IllegalStateException> { directory.toBytes() }
    }

    @Test
    fun `minimum necessary - fields outside the consent are refused or redacted`() {
        Pc1000World().use { w ->
            val fields = Record.schema("drug_test").filter { it.name != "prescription_consistent" }.map { it.name }
            w.signAndDistribute(w.pc1000Json(fields = mapOf("drug_test" to fields)))
            val test = Record.drugTest(NOW - DAY, "urine", true, "10-panel", mapOf("fentanyl" to "negative"),
                prescriptionConsistent = true)
            fun seal(mode: MinimumNecessary) = Divex.sealDisclosure(
                w.provider.keys, w.provider.directory, w.provider.consents, test,
                listOf(COURT), w.subject, CJ_PURPOSE, PC1000_ID, NOW + 60, minimumNecessary = mode,
            )
            val refused = assertFailsWith<DeniedException> { seal(MinimumNecessary.REFUSE) }
            assertEquals("field_not_permitted", refused.code)
            seal(MinimumNecessary.REDACT).use { sealed ->
                assertEquals(listOf("prescription_consistent"), sealed.redacted)
                Divex.openDisclosure(sealed.envelope, w.court.keys, w.court.directory, w.court.consents, NOW + 120).use { r ->
                    assertEquals(listOf("prescription_consistent"), r.metadata.redacted)
                    r.record().use { assertTrue("prescription_consistent" !in it.toJson()) }
                }
            }
            test.close()
        }
    }

    @Test
    fun `every record type is built from its generated typed class`() {
        val event = org.divex.ffi.CourtEvent(caseRef = CASE, date = "2026-09-22", event = "hearing")
        // The typed classes print their type only: records are protected health information.
        assertEquals("CourtEvent(..)", event.toString())
        Record.of(org.divex.ffi.TypedRecord.CourtEvent(event)).use { r ->
            assertEquals("court_event", r.recordType)
            assertEquals("""{"case_ref":"$CASE","date":"2026-09-22","event":"hearing"}""", r.toJson())
            val typed = r.typed
            assertTrue(typed is org.divex.ffi.TypedRecord.CourtEvent)
            assertEquals(event, typed.record)
        }
        val e = assertFailsWith<RecordException> {
            Record.of(org.divex.ffi.TypedRecord.CourtEvent(event.copy(event = "party")))
        }
        assertEquals("invalid_value", e.code)
        Record.progressReport("2026-09-01", "2026-09-30", "compliant").use { r ->
            val typed = r.typed as org.divex.ffi.TypedRecord.ProgressReport
            assertEquals(null, typed.record.barriers)
        }
        assertEquals(listOf("short_text", "date", "vocabulary", "text_list"), Record.schema("court_event").map { it.kind })
    }

    @Test
    fun `a revoked certificate stops the agency's disclosures`() {
        Pc1000World().use { w ->
            w.signAndDistribute()
            val cert = w.provider.directory.currentCertificate(PROVIDER, NOW)
            assertEquals(listOf("treatment_provider"), cert.roles)
            val revocation = w.anchor.revokeCertificate(cert.serial, NOW + DAY, "key_compromise")
            val info = w.provider.directory.addRevocation(revocation)
            assertContentEquals(cert.serial, info.serial)
            assertEquals("key_compromise", info.reason)
            val e = assertFailsWith<DirectoryException> { w.provider.directory.checkCertificate(cert.certificate, NOW + 2 * DAY) }
            assertEquals("revoked", e.code)
            assertFailsWith<DivexException> {
                w.drugTest().use {
                    Divex.sealDisclosure(w.provider.keys, w.provider.directory, w.provider.consents, it,
                        listOf(COURT), w.subject, CJ_PURPOSE, PC1000_ID, NOW + 2 * DAY)
                }
            }
            // Before the revocation takes effect the certificate is still good.
            assertEquals(PROVIDER, w.provider.directory.checkCertificate(cert.certificate, NOW).agencyId)
        }
    }
}
