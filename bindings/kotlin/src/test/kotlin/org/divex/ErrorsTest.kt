package org.divex

import java.nio.file.Files
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertTrue

/**
 * Every failure category arrives as its own generated subclass of the sealed
 * [DivexException], with the core's stable class as `code` and the core's own message as
 * `detail`.
 */
class ErrorsTest {
    /** `detail` is the core's message; uniffi's `message` carries the class and the detail. */
    private fun DivexException.assertCoreMessage(expected: String? = null) {
        if (expected != null) assertEquals(expected, detail)
        assertTrue(detail.isNotBlank())
        assertFalse(detail.startsWith("code="), detail)
        val m = message.orEmpty()
        assertTrue(m.startsWith("code=$code, ") && m.endsWith("detail=$detail"), m)
    }

    @Test
    fun `envelope - not addressed to this agency`() {
        Pc1000World().use { w ->
            w.signAndDistribute()
            val sealed = w.drugTest().use {
                sealDisclosure(w.provider.keys, w.provider.directory, w.provider.consents, it,
                    w.request(listOf(COURT)), NOW + 60u)
            }
            val e = assertFailsWith<EnvelopeException> {
                openDisclosure(sealed.envelope(), w.da.keys, w.da.directory, NOW + 120u, w.da.consents)
            }
            assertEquals("not_for_me", e.code)
            e.assertCoreMessage(
                "this envelope is not addressed to this agency's key (key id ${w.da.keys.encryptionKeyId().toHex()})",
            )
            val garbage = assertFailsWith<EnvelopeException> {
                openDisclosure(byteArrayOf(1, 2, 3), w.court.keys, w.court.directory, NOW, w.court.consents)
            }
            assertEquals("malformed", garbage.code)
            garbage.assertCoreMessage()
        }
    }

    @Test
    fun `seal - no recipients`() {
        Pc1000World().use { w ->
            w.signAndDistribute()
            val e = assertFailsWith<SealException> {
                w.drugTest().use {
                    sealDisclosure(w.provider.keys, w.provider.directory, w.provider.consents, it,
                        w.request(emptyList()), NOW + 60u)
                }
            }
            assertEquals("no_recipients", e.code)
            e.assertCoreMessage("an envelope needs at least one recipient")
            // Open vocabularies are checked by the library's own constructors as the call lifts
            // its arguments: the core's class, before anything is sealed.
            val token = assertFailsWith<InvalidInputException> {
                w.drugTest().use {
                    sealDisclosure(w.provider.keys, w.provider.directory, w.provider.consents, it,
                        w.request(listOf(COURT)).copy(purpose = "two words"), NOW + 60u)
                }
            }
            assertEquals("invalid_token", token.code)
            token.assertCoreMessage("a purpose of use must be a token: 1-64 characters of A-Z a-z 0-9 . _ : -")
        }
    }

    @Test
    fun `denied - record type outside the consent`() {
        Pc1000World().use { w ->
            w.signAndDistribute()
            val record = Record.fromJson(RecordType.CLINICAL_DETAIL, """{"diagnoses": ["F11.20"], "as_of": "2026-09-21"}""")
            val e = assertFailsWith<DeniedException> {
                record.use {
                    sealDisclosure(w.provider.keys, w.provider.directory, w.provider.consents, it,
                        w.request(listOf(COURT)), NOW + 60u)
                }
            }
            assertEquals("record_type_not_permitted", e.code)
            assertEquals(COURT, e.recipient)
            e.assertCoreMessage()
        }
    }

    @Test
    fun `consent - malformed and tampered`() {
        Pc1000World().use { w ->
            val consent = w.signAndDistribute()
            val malformed = assertFailsWith<ConsentException> { verifyConsent(byteArrayOf(0x41), w.court.directory, NOW) }
            assertEquals("malformed", malformed.code)
            malformed.assertCoreMessage()

            val future = assertFailsWith<ConsentException> { verifyConsent(consent, w.court.directory, NOW - DAY) }
            assertEquals("future_dated", future.code)
            future.assertCoreMessage()
        }
    }

    @Test
    fun `disclosure - a reference where the consent requires its copy`() {
        Pc1000World().use { w ->
            w.signAndDistribute()
            val e = assertFailsWith<DisclosureException> {
                w.drugTest().use {
                    sealDisclosure(w.provider.keys, w.provider.directory, w.provider.consents, it,
                        w.request(listOf(COURT), consentCopy = ConsentCopy.REFERENCE), NOW + 60u)
                }
            }
            assertEquals("copy_required", e.code)
            e.assertCoreMessage("consent $PC1000_ID requires its copy to travel with every disclosure")
        }
    }

    @Test
    fun `disclosure - a referenced consent the recipient does not hold`() {
        Pc1000World().use { w ->
            // A consent that allows references, given to the provider only.
            val consent = signConsent(w.pc1000Json(attachConsent = false), listOf(w.provider.keys), listOf(w.participant))
            w.provider.consents.importConsent(consent, w.provider.directory, NOW)
            val sealed = w.drugTest().use {
                sealDisclosure(w.provider.keys, w.provider.directory, w.provider.consents, it,
                    w.request(listOf(COURT), consentCopy = ConsentCopy.REFERENCE), NOW + 60u)
            }
            val e = assertFailsWith<DisclosureException> {
                openDisclosure(sealed.envelope(), w.court.keys, w.court.directory, NOW + 120u, w.court.consents)
            }
            assertEquals("consent_unavailable", e.code)
            e.assertCoreMessage(
                "the disclosure references consent $PC1000_ID, which this agency does not hold; ask the sender to attach it",
            )
        }
    }

    @Test
    fun `record - missing field and unknown field`() {
        val missing = assertFailsWith<RecordException> {
            Record.fromJson(RecordType.ATTENDANCE, """{"date": "2026-09-20", "service_type": "group"}""")
        }
        assertEquals("missing_field", missing.code)
        missing.assertCoreMessage("the attendance record is missing its required field `status`")

        val unknown = assertFailsWith<RecordException> {
            Record.fromJson(RecordType.ATTENDANCE, """{"date": "2026-09-20", "service_type": "group", "status": "present", "mood": "fine"}""")
        }
        assertEquals("unknown_field", unknown.code)
        unknown.assertCoreMessage("the attendance record has no field `mood`")
    }

    @Test
    fun `directory - unknown agency`() {
        Pc1000World().use { w ->
            val e = assertFailsWith<DirectoryException> { w.court.directory.currentCertificate("no-such-agency", NOW) }
            assertEquals("unknown_agency", e.code)
            e.assertCoreMessage("agency 'no-such-agency' is not in the directory")
            val unpinned = assertFailsWith<DirectoryException> {
                AnchorKeys.generate("elsewhere").use { other ->
                    AgencyKeys.generate().use { k ->
                        w.court.directory.addCertificate(
                            other.issueCertificate(
                                CertificateRequest("x", "X", listOf(Role.COURT), false, k.publicBundle(), NOW, NOW + DAY),
                            ),
                        )
                    }
                }
            }
            assertEquals("unknown_anchor", unpinned.code)
        }
    }

    @Test
    fun `key - a bundle of the wrong length`() {
        val e = assertFailsWith<KeyException> { publicBundleInfo(ByteArray(3)) }
        e.assertCoreMessage()
        assertTrue(e.code in setOf("length", "malformed", "malformed_bundle"), e.code)
    }

    @Test
    fun `ledger - invalid agency id, wrong agency and a replayed receipt`() {
        val dir = Files.createTempDirectory("divex-ledger-")
        val invalid = assertFailsWith<LedgerException> { Ledger.open(dir.resolve("a.ledger").toString(), "") }
        assertEquals("invalid_agency_id", invalid.code)
        invalid.assertCoreMessage("the agency id is empty or contains a NUL character; give the agency's directory id")

        Ledger.open(dir.resolve("court.ledger").toString(), COURT).close()
        val wrong = assertFailsWith<LedgerException> { Ledger.open(dir.resolve("court.ledger").toString(), PROBATION) }
        assertEquals("wrong_agency", wrong.code)
        wrong.assertCoreMessage("the ledger belongs to agency $COURT, not $PROBATION; open $PROBATION's own ledger")
    }

    @Test
    fun `keystore - wrong passphrase and wrong kind`() {
        val keystore = PersonalKey.generate().use { it.exportKeystore("patient", "right", KdfProfile.FAST) }
        val wrongPass = assertFailsWith<KeystoreException> { PersonalKey.fromKeystore(keystore, "wrong") }
        assertEquals("wrong_passphrase", wrongPass.code)
        wrongPass.assertCoreMessage("the passphrase does not open the keystore")

        val wrongKind = assertFailsWith<KeystoreException> { AgencyKeys.fromKeystore(keystore, "right") }
        assertEquals("wrong_kind", wrongKind.code)
        wrongKind.assertCoreMessage("the keystore holds personal keys, not agency keys")
    }

    @Test
    fun `invalid input - bad length, unknown record type, bad JSON`() {
        val length = assertFailsWith<InvalidInputException> { AgencyKeys.fromSecretBytesTestVectorsOnly(ByteArray(3)) }
        assertEquals("length", length.code)
        length.assertCoreMessage("agency secret must be 64 bytes, got 3")

        val type = assertFailsWith<InvalidInputException> { parseRecordType("horoscope") }
        assertEquals("unknown_record_type", type.code)
        assertTrue(type.detail.startsWith("unknown record type; expected one of referral, "), type.detail)

        val json = assertFailsWith<InvalidInputException> { Record.fromJson(RecordType.ATTENDANCE, """{"hours_tenths": 1.5}""") }
        assertEquals("json", json.code)
        json.assertCoreMessage("at \$.hours_tenths: numbers must be whole (hours are given in tenths, e.g. 15 for 1.5 h)")
    }

    @Test
    fun `a Rust panic arrives as InternalException and the JVM carries on`() {
        val e = assertFailsWith<InternalException> { panicForBindingTests("boom") }
        // A bug, not a failure class a caller acts on.
        assertFalse((e as Throwable) is DivexException)
        assertTrue(e.message!!.contains("deliberate panic for the binding tests: boom"), e.message)
        assertTrue(version().isNotEmpty())
    }

    @Test
    fun `the hierarchy is sealed and exhaustive`() {
        val failures: List<DivexException> = listOf(
            runCatching { publicBundleInfo(ByteArray(0)) },
            runCatching { parseRecordType("nope") },
            runCatching { w().use { it.court.directory.currentCertificate("nobody", NOW) } },
        ).map { it.exceptionOrNull() as DivexException }
        // Exhaustive without `else`: the aliases name the generated sealed subclasses.
        val classes = failures.map {
            when (it) {
                is EnvelopeException -> "envelope"
                is SealException -> "seal"
                is DeniedException -> "denied"
                is ConsentException -> "consent"
                is DisclosureException -> "disclosure"
                is RecordException -> "record"
                is DirectoryException -> "directory"
                is KeyException -> "key"
                is LedgerException -> "ledger"
                is KeystoreException -> "keystore"
                is InvalidInputException -> "invalid_input"
            }
        }
        assertEquals(listOf("key", "invalid_input", "directory"), classes)
        // Any category's class and message, read from the base.
        assertEquals(listOf("unknown_record_type", "unknown_agency"), failures.drop(1).map { it.code })
        assertTrue(failures.all { it.detail.isNotBlank() })
    }

    private fun w() = Pc1000World()
}
