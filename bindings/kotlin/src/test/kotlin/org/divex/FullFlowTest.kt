package org.divex

import kotlin.test.Test
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

/** The whole PC 1000 story through the Kotlin bindings. */
class FullFlowTest {
    @Test
    fun `provider reports a drug test to the court, which opens it, and every ledger verifies`() {
        Pc1000World().use { w ->
            // The participant's §2.35 consent, verified by every agency against its directory.
            val consent = w.signAndDistribute()
            val info = verifyConsent(consent, w.court.directory, NOW)
            assertEquals(PC1000_ID, info.id)
            assertEquals(Regime.PART2_CRIMINAL_JUSTICE, info.regime)
            assertEquals(32, info.digest.size)
            assertNotNull(w.court.consents.get(PC1000_ID))

            // Day 1: the provider seals yesterday's drug test to the court and probation.
            val now = NOW + 3600u
            val sealed = w.drugTest().use { test ->
                sealDisclosure(
                    sender = w.provider.keys,
                    directory = w.provider.directory,
                    consents = w.provider.consents,
                    record = test,
                    request = w.request(listOf(COURT, PROBATION)),
                    now = now,
                )
            }
            sealed.use {
                assertEquals(setOf(COURT, PROBATION), sealed.recipients().toSet())
                val labels = sealed.metadata().labels
                assertTrue("42CFRPart2" in labels, "labels: $labels")
                assertEquals(RecordType.DRUG_TEST, sealed.metadata().recordType)
                assertEquals(16, sealed.envelopeId().size)
                val sent = w.provider.ledger.recordSent(sealed, now)
                assertEquals(setOf(COURT, PROBATION), sent.map { it.counterparty }.toSet())
                assertTrue(sent.all { it.direction == Direction.SENT })

                // The court opens it and records the receipt.
                val envelope = sealed.envelope()
                openDisclosure(envelope, w.court.keys, w.court.directory, now + 60u, w.court.consents, w.court.ledger)
                    .use { received ->
                        assertEquals(PROVIDER, received.sender().agencyId)
                        assertTrue(received.sender().part2Program)
                        assertEquals(w.subject, received.subject())
                        received.record().use { record ->
                            w.drugTest().use { assertEquals(it, record) }
                            assertEquals(RecordType.DRUG_TEST, record.recordType())
                            assertTrue("10-panel" in record.toJson())
                        }
                        val metadata = received.metadata()
                        assertEquals(PC1000_ID, metadata.consentId)
                        assertEquals(CJ_PURPOSE, metadata.purpose)
                        assertContentEquals(sealed.envelopeId(), metadata.envelopeId)
                        assertContentEquals(sealed.envelopeHash(), received.envelopeHash())
                        assertEquals("part2-notice-short", received.obligations().notice)
                        assertEquals(Redisclosure.CJ_OFFICIAL_DUTIES_ONLY, received.obligations().redisclosure)
                        assertTrue(received.notice().contains("42 CFR part 2"), received.notice())
                        assertEquals(PC1000_ID, received.consent().id)
                        val entry = w.court.ledger.recordReceived(received, now + 60u)
                        assertEquals(Direction.RECEIVED, entry.direction)
                        assertEquals(PROVIDER, entry.counterparty)
                    }

                // The same envelope again is a replay; the DA was not addressed at all.
                val replay = assertFailsWith<EnvelopeException> {
                    openDisclosure(envelope, w.court.keys, w.court.directory, now + 120u, w.court.consents, w.court.ledger)
                }
                assertEquals("replay", replay.code)
                val notForDa = assertFailsWith<EnvelopeException> {
                    openDisclosure(envelope, w.da.keys, w.da.directory, now + 60u, w.da.consents)
                }
                assertEquals("not_for_me", notForDa.code)

                // Probation opens the same envelope.
                openDisclosure(envelope, w.probation.keys, w.probation.directory, now + 90u, w.probation.consents)
                    .use { assertEquals(PROVIDER, it.sender().agencyId) }
            }

            // Checkpoints, verification, the participant's accounting of disclosures.
            val cp = w.provider.ledger.checkpoint(w.provider.keys, now + 300u)
            assertEquals(2uL, cp.seq)
            val report = w.provider.ledger.verify(w.provider.keys.signingPublicKey())
            assertEquals(2uL, report.entries)
            assertEquals(1uL, report.checkpoints)
            assertEquals(2uL, report.anchoredSeq)
            assertEquals(1uL, w.court.ledger.verify(w.court.keys.signingPublicKey()).entries)
            val accounting = w.provider.ledger.accounting(w.subject, NOW, now + 1000u)
            assertEquals(setOf(COURT, PROBATION), accounting.map { it.counterparty }.toSet())
            assertTrue(accounting.all { it.purpose == CJ_PURPOSE && it.consentId == PC1000_ID && it.recordTypes == listOf("drug_test") })
            assertTrue(String(w.provider.ledger.export()).lines().isNotEmpty())
            // Another agency's key does not verify the provider's checkpoints.
            assertFailsWith<LedgerException> { w.provider.ledger.verify(w.court.keys.signingPublicKey()) }
        }
    }

    @Test
    fun `the consent engine refuses an over-share, ignores an early revocation, and honours a later one`() {
        Pc1000World().use { w ->
            w.signAndDistribute()
            fun seal(record: Record, recipients: List<String>, now: ULong) = sealDisclosure(
                w.provider.keys, w.provider.directory, w.provider.consents, record, w.request(recipients), now,
            )

            // Clinical detail is not in the consent: refused before anything is sealed.
            val clinical = Record.fromJson(
                RecordType.CLINICAL_DETAIL,
                """{"diagnoses": ["F11.20"], "as_of": "2026-09-21", "moud": "buprenorphine"}""",
            )
            val denied = assertFailsWith<DeniedException> { clinical.use { seal(it, listOf(COURT), NOW + 60u) } }
            assertEquals("record_type_not_permitted", denied.code)
            assertEquals(COURT, denied.recipient)
            assertTrue(denied.detail.startsWith("disclosure to $COURT refused: "), denied.detail)

            // An early revocation verifies but has no effect: §2.35 consent is irrevocable
            // until the final disposition of the case.
            val early = w.participant.signConsentRevocation(PC1000_ID, NOW + 2uL * DAY, "written")
            val rev = w.provider.consents.importRevocation(early, w.provider.directory, NOW + 2uL * DAY)
            assertEquals(null, rev.recordedBy)
            val beforeDisposition = w.drugTest().use { seal(it, listOf(COURT), NOW + 3uL * DAY) }

            // The court dismisses the case; now a revocation takes effect.
            val dismissed = w.court.keys.signCaseEvent(CASE, DispositionOutcome.DISMISSED, NOW + 200uL * DAY)
            assertEquals(COURT, verifyCaseEvent(dismissed, w.provider.directory, NOW + 200uL * DAY).signerAgencyId)
            for (a in listOf(w.provider, w.court)) a.consents.importEvent(dismissed, a.directory, NOW + 200uL * DAY)
            val later = w.participant.signConsentRevocation(PC1000_ID, NOW + 210uL * DAY, "written")
            for (a in listOf(w.provider, w.court)) a.consents.importRevocation(later, a.directory, NOW + 210uL * DAY)

            val revoked = assertFailsWith<DeniedException> {
                w.drugTest().use { seal(it, listOf(COURT), NOW + 217uL * DAY) }
            }
            assertEquals("revoked", revoked.code)

            // What was sealed while the consent was in force stays lawful to open.
            beforeDisposition.use {
                openDisclosure(it.envelope(), w.court.keys, w.court.directory, NOW + 218uL * DAY, w.court.consents)
                    .use { r -> assertEquals(RecordType.DRUG_TEST, r.metadata().recordType) }
            }
        }
    }

    @Test
    fun `keys survive a keystore round trip and objects are AutoCloseable`() {
        val keys = AgencyKeys.generate()
        val keystore = keys.exportKeystore(PROVIDER, "correct horse", KdfProfile.FAST)
        val header = keystoreInfo(keystore)
        assertEquals(KeystoreKind.AGENCY, header.kind)
        assertEquals(PROVIDER, header.id)
        AgencyKeys.fromKeystore(keystore, "correct horse").use { again ->
            assertContentEquals(keys.publicBundle(), again.publicBundle())
        }
        // A key prints its key ids, never a secret.
        assertTrue(keys.signingKeyId().toHex() in keys.toString(), keys.toString())
        keys.close()
        assertFailsWith<IllegalStateException> { keys.publicBundle() }
    }

    @Test
    fun `the encryption layer alone round-trips`() {
        AgencyKeys.generate().use { keys ->
            keys.encryptionKeyPair().use { pair ->
                val msg = hpkeEncrypt(pair.publicKey(), "hello".toByteArray(), "aad".toByteArray())
                val plain = hpkeDecrypt(msg, pair, pair.keyId(), externalAad = "aad".toByteArray())
                assertEquals("hello", String(plain))
                val wrongAad = assertFailsWith<EnvelopeException> { hpkeDecrypt(msg, pair, pair.keyId()) }
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
            assertEquals(32, keys.signingPublicKey().size)
        }
        assertFailsWith<IllegalStateException> { keys.publicBundle() }
        assertFailsWith<IllegalStateException> { directory.toBytes() }
    }

    @Test
    fun `minimum necessary - fields outside the consent are refused or redacted`() {
        Pc1000World().use { w ->
            val fields = recordSchema(RecordType.DRUG_TEST).filter { it.name != "prescription_consistent" }.map { it.name }
            w.signAndDistribute(w.pc1000Json(fields = mapOf("drug_test" to fields)))
            val test = Record(
                TypedRecord.DrugTest(
                    DrugTest(NOW - DAY, "urine", true, "10-panel", listOf(AnalyteResult("fentanyl", "negative")),
                        prescriptionConsistent = true),
                ),
            )
            fun seal(mode: MinimumNecessary) = sealDisclosure(
                w.provider.keys, w.provider.directory, w.provider.consents, test,
                w.request(listOf(COURT), minimumNecessary = mode), NOW + 60u,
            )
            val refused = assertFailsWith<DeniedException> { seal(MinimumNecessary.REFUSE) }
            assertEquals("field_not_permitted", refused.code)
            seal(MinimumNecessary.REDACT).use { sealed ->
                assertEquals(listOf("prescription_consistent"), sealed.metadata().redacted)
                openDisclosure(sealed.envelope(), w.court.keys, w.court.directory, NOW + 120u, w.court.consents).use { r ->
                    assertEquals(listOf("prescription_consistent"), r.metadata().redacted)
                    r.record().use { assertTrue("prescription_consistent" !in it.toJson()) }
                }
            }
            test.close()
        }
    }

    @Test
    fun `the sender's ledger head travels signed to the recipient`() {
        Pc1000World().use { w ->
            w.signAndDistribute()
            val hash = ByteArray(32) { it.toByte() }
            w.drugTest().use { test ->
                fun seal(ledgerHead: LedgerHead?) = sealDisclosure(
                    w.provider.keys, w.provider.directory, w.provider.consents, test,
                    w.request(listOf(COURT)).copy(ledgerHead = ledgerHead), NOW + 60u,
                )
                fun opened(sealed: SealedDisclosure) =
                    openDisclosure(sealed.envelope(), w.court.keys, w.court.directory, NOW + 120u, w.court.consents)
                // With a head: profile v2, the head signed in and released to the recipient.
                seal(LedgerHead(7uL, hash)).use { sealed ->
                    opened(sealed).use { r ->
                        for (got in listOf(sealed.metadata().ledgerHead, r.metadata().ledgerHead)) {
                            assertEquals(7uL, got?.seq)
                            assertContentEquals(hash, got?.hash)
                        }
                    }
                }
                // Without: profile v1, no head.
                seal(null).use { sealed -> opened(sealed).use { r -> assertNull(r.metadata().ledgerHead) } }
                val refused = assertFailsWith<SealException> { seal(LedgerHead(ULong.MAX_VALUE, hash)) }
                assertEquals("ledger_head_out_of_range", refused.code)
            }
        }
    }

    @Test
    fun `every record type is built from its generated typed class`() {
        val event = CourtEvent(caseRef = CASE, date = "2026-09-22", event = "hearing")
        // The typed classes print their type only: records are protected health information.
        assertEquals("CourtEvent(..)", event.toString())
        Record(TypedRecord.CourtEvent(event)).use { r ->
            assertEquals(RecordType.COURT_EVENT, r.recordType())
            assertEquals("""{"case_ref":"$CASE","date":"2026-09-22","event":"hearing"}""", r.toJson())
            // So do records: their type only.
            assertEquals("Record(court_event)", r.toString())
            val typed = r.typed()
            assertTrue(typed is TypedRecord.CourtEvent)
            assertEquals(event, typed.record)
            Record.fromBytes(RecordType.COURT_EVENT, r.toBytes()).use { same ->
                assertEquals(r, same)
                assertEquals(r.hashCode(), same.hashCode())
            }
        }
        val e = assertFailsWith<RecordException> {
            Record(TypedRecord.CourtEvent(event.copy(event = "party")))
        }
        assertEquals("invalid_value", e.code)
        Record(TypedRecord.ProgressReport(ProgressReport("2026-09-01", "2026-09-30", "compliant"))).use { r ->
            val typed = r.typed() as TypedRecord.ProgressReport
            assertEquals(null, typed.record.barriers)
        }
        assertEquals(
            listOf(FieldKind.SHORT_TEXT, FieldKind.DATE, FieldKind.VOCABULARY, FieldKind.TEXT_LIST),
            recordSchema(RecordType.COURT_EVENT).map { it.kind },
        )
        // Every record type's token reads back as the type.
        for (t in recordTypes()) assertEquals(t, parseRecordType(t.name.lowercase()))
    }

    @Test
    fun `a revoked certificate stops the agency's disclosures`() {
        Pc1000World().use { w ->
            w.signAndDistribute()
            val cert = w.provider.directory.currentCertificate(PROVIDER, NOW)
            assertEquals(listOf(Role.TREATMENT_PROVIDER), cert.roles)
            val revocation = w.anchor.revokeCertificate(cert.serial, NOW + DAY, "key_compromise")
            val info = w.provider.directory.addRevocation(revocation)
            assertContentEquals(cert.serial, info.serial)
            assertEquals("key_compromise", info.reason)
            val e = assertFailsWith<DirectoryException> { w.provider.directory.checkCertificate(cert.certificate, NOW + 2uL * DAY) }
            assertEquals("revoked", e.code)
            assertFailsWith<DivexException> {
                w.drugTest().use {
                    sealDisclosure(w.provider.keys, w.provider.directory, w.provider.consents, it,
                        w.request(listOf(COURT)), NOW + 2uL * DAY)
                }
            }
            // Before the revocation takes effect the certificate is still good.
            assertEquals(PROVIDER, w.provider.directory.checkCertificate(cert.certificate, NOW).agencyId)
        }
    }

    @Test
    fun `signed directory snapshots are numbered and expire`() {
        Pc1000World().use { w ->
            val first = w.anchor.publishSnapshot(w.published, 1uL, NOW, NOW + 7uL * DAY)
            val second = w.anchor.publishSnapshot(w.published, 2uL, NOW + 60uL, NOW + 7uL * DAY)
            w.court.directory.merge(second)
            val snapshot = w.court.directory.snapshots().single()
            assertContentEquals(w.anchor.keyId(), snapshot.anchorKeyId)
            assertEquals(2uL, snapshot.sequence)
            val stale = assertFailsWith<DirectoryException> { w.court.directory.merge(first) }
            assertEquals("stale_bundle", stale.code)
            w.court.directory.checkFresh(w.anchor.keyId(), NOW + DAY)
            val expired = assertFailsWith<DirectoryException> { w.court.directory.checkFresh(w.anchor.keyId(), NOW + 7uL * DAY) }
            assertEquals("bundle_expired", expired.code)
        }
    }
}
