package org.divex

// Why this file exists: every object with native state that the library hands out (keys,
// directories, consent sets, records, ledgers, disclosures) is a generated `AutoCloseable`;
// closing it frees it — and zeroizes it, for secret keys — at once instead of whenever the
// garbage collector's cleaner gets to it. A flow uses many of them, and `withResources`
// closes them all without nested `use { }` blocks.

/**
 * Closes every object registered with [closing] when [withResources] ends, the last registered
 * first:
 *
 * ```kotlin
 * withResources {
 *     val court = AgencyKeys.generate().closing()
 *     val directory = Directory.fromBytes(bundle).closing()
 *     ...
 * }
 * ```
 */
class ResourceScope @PublishedApi internal constructor() : AutoCloseable {
    private val resources = ArrayDeque<AutoCloseable>()

    /** Registers this object to be closed when the scope ends; returns it. */
    fun <T : AutoCloseable> T.closing(): T = also { resources.addLast(it) }

    override fun close() {
        var failure: Throwable? = null
        while (resources.isNotEmpty()) {
            try {
                resources.removeLast().close()
            } catch (t: Throwable) {
                if (failure == null) failure = t else failure.addSuppressed(t)
            }
        }
        failure?.let { throw it }
    }
}

/** Runs [block] in a [ResourceScope] and closes what it registered, even on failure. */
inline fun <R> withResources(block: ResourceScope.() -> R): R = ResourceScope().use { it.block() }
