package org.divex

import java.io.File
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlin.test.fail
import org.json.JSONArray
import org.json.JSONObject
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.TestFactory

/**
 * Every vector in `spec/vectors` through the bindings (spec/vectors/README.md): each is
 * expected to give `ok` (and the documented result) or a refusal whose [DivexException.code]
 * is the vector's `expect` class.
 */
class SpecVectorsTest {
    private val root = File(System.getProperty("divex.spec.vectors") ?: "../../spec/vectors")

    private fun vectors(folder: String, minimum: Int): List<Pair<String, JSONObject>> {
        val files = File(root, folder).listFiles { f -> f.name.endsWith(".json") }?.sortedBy { it.name }
            ?: fail("no vector folder ${File(root, folder).absolutePath}")
        assertTrue(files.size >= minimum, "expected at least $minimum vectors in $folder, found ${files.size}")
        return files.map { it.name.removeSuffix(".json") to JSONObject(it.readText()) }
    }

    private fun JSONObject.hex(key: String): ByteArray = getString(key).hexToBytes()

    private fun JSONObject.hexList(key: String): List<ByteArray> =
        optJSONArray(key)?.let { a -> (0 until a.length()).map { a.getString(it).hexToBytes() } } ?: emptyList()

    private fun JSONObject.now(): ULong = getLong("now").toULong()

    /** Runs [body], which returns the `ok` result (or null), and checks it against [v]. */
    private fun check(v: JSONObject, body: () -> String?) {
        val expect = v.getString("expect")
        val outcome = try {
            Result.success(body())
        } catch (e: DivexException) {
            Result.failure(e)
        }
        // A vector must never cause an internal error: an `InternalException` (not a
        // `DivexException`) is not caught above and fails the test.
        if (expect == "ok") {
            val result = outcome.getOrElse { fail("expected ok, got ${it::class.simpleName} ${(it as DivexException).code}: ${it.detail}") }
            if (v.has("result")) assertEquals(v.getString("result"), result)
        } else {
            val e = outcome.exceptionOrNull() as DivexException?
                ?: fail("expected refusal '$expect', but it was accepted")
            assertEquals(expect, e.code, "${e::class.simpleName}: ${e.detail}")
        }
    }

    private fun tests(folder: String, minimum: Int, run: (JSONObject) -> Unit): List<DynamicTest> =
        vectors(folder, minimum).map { (name, v) ->
            DynamicTest.dynamicTest("$folder/$name (${v.getString("expect")})") { run(v) }
        }

    @TestFactory
    fun envelope(): List<DynamicTest> = tests("envelope", 60) { v ->
        AgencyKeys.fromSecretBytesTestVectorsOnly(v.hex("recipient_secret")).use { me ->
            val senders = v.getJSONArray("senders").objects().map {
                // A sender marked `untrusted` is known, but its certificate is not valid now.
                KnownSender(it.getString("agency_id"), it.hex("signing_key"), it.optString("untrusted").ifEmpty { null })
            }
            check(v) {
                // A size limit where the vector states one (spec/envelope.md §12.1).
                val limit = if (v.has("max_envelope_bytes")) v.getLong("max_envelope_bytes").toULong() else null
                val opened = openEnvelope(v.hex("envelope"), me, senders, v.now(), v.hexList("seen"), limit)
                assertEquals(v.getString("sender"), opened.senderAgencyId)
                assertContentEquals(v.hex("payload"), opened.payload)
                assertContentEquals(v.hex("envelope_id"), opened.metadata.envelopeId)
                val m = opened.metadata
                val want = v.getJSONObject("metadata")
                assertEquals(want.getLong("issued_at").toULong(), m.issuedAt)
                assertEquals(want.strings("audience"), m.audience.map { it.toHex() })
                assertEquals(want.getString("purpose"), m.purpose)
                assertEquals(want.getString("consent_id"), m.consentId)
                assertEquals(want.getString("consent_digest"), m.consentDigest.toHex())
                assertEquals(parseRecordType(want.getString("record_type")), m.recordType)
                assertEquals(want.strings("labels"), m.labels)
                assertEquals(want.getString("notice"), m.notice)
                assertEquals(want.strings("redacted"), m.redacted)
                // Profile v2 (spec/envelope.md §15): the vector states the ledger head exactly
                // when the envelope carries one.
                val head = want.optJSONObject("ledger_head")
                if (head == null) {
                    assertNull(m.ledgerHead)
                } else {
                    val got = m.ledgerHead ?: fail("no ledger head released")
                    assertEquals(head.getLong("seq").toULong(), got.seq)
                    assertEquals(head.getString("hash"), got.hash.toHex())
                }
                null
            }
        }
    }

    private fun JSONObject.strings(key: String): List<String> =
        getJSONArray(key).let { a -> (0 until a.length()).map { a.getString(it) } }

    /** A directory trusting the vector's `anchors`, holding its `revocations`. */
    private fun directoryOf(v: JSONObject): Directory = Directory().also { d ->
        v.hexList("anchors").forEach { d.addAnchor(it) }
        v.hexList("revocations").forEach { d.addRevocation(it) }
    }

    @TestFactory
    fun directory(): List<DynamicTest> = tests("directory", 36) { v ->
        val input = v.hex("input")
        when (val kind = v.getString("kind")) {
            "certificate" -> directoryOf(v).use { d ->
                check(v) {
                    d.addCertificate(input)
                    d.checkCertificate(input, v.now()).agencyId
                }
            }
            "certificate_revocation" -> directoryOf(v).use { d ->
                check(v) { d.addRevocation(input).serial.toHex() }
            }
            "directory" -> check(v) {
                val d = if (v.has("anchors")) directoryOf(v).also { it.merge(input) } else Directory.fromBytes(input)
                d.use { "${it.anchors().size} anchors, ${it.certificates().size} certificates, ${it.revocations().size} revocations" }
            }
            "directory_snapshot" -> check(v) {
                val d = if (v.has("anchors")) directoryOf(v).also { it.merge(input) } else Directory.fromBytes(input)
                d.use {
                    val snapshot = it.snapshots().single()
                    it.checkFresh(snapshot.anchorKeyId, v.now())
                    "${it.anchors().size} anchors, ${it.certificates().size} certificates, ${it.revocations().size} revocations, sequence ${snapshot.sequence}"
                }
            }
            else -> fail("unknown kind $kind")
        }
    }

    @TestFactory
    fun consent(): List<DynamicTest> = tests("consent", 38) { v ->
        val input = v.hex("input")
        when (val kind = v.getString("kind")) {
            "consent" -> check(v) {
                Directory.fromBytes(v.hex("directory")).use { verifyConsent(input, it, v.now()).id }
            }
            "consent_revocation" -> check(v) {
                Directory.fromBytes(v.hex("directory")).use {
                    verifyConsentRevocation(input, v.hex("consent"), it, v.now()).recordedBy ?: "patient_signer"
                }
            }
            "case_event" -> check(v) {
                Directory.fromBytes(v.hex("directory")).use { verifyCaseEvent(input, it, v.now()).signerAgencyId }
            }
            else -> fail("unknown kind $kind")
        }
    }

    @TestFactory
    fun records(): List<DynamicTest> = tests("records", 31) { v ->
        val input = v.hex("input")
        check(v) {
            Record.fromBytes(parseRecordType(v.getString("record_type")), input).use { r ->
                assertContentEquals(input, r.toBytes(), "an accepted record re-encodes to exactly its input")
                Record.fromJson(r.recordType(), r.toJson()).use { assertEquals(r, it, "JSON round trip") }
                Record(r.typed()).use { assertEquals(r, it, "typed round trip") }
                null
            }
        }
    }

    private fun JSONArray.objects(): List<JSONObject> = (0 until length()).map { getJSONObject(it) }
}
