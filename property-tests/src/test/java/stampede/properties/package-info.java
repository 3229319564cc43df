/**
 * jqwik properties of every strategy's invariants (coalescing, errors, staleness, fencing, limits, outages), run on
 * real Caffeine and a real embedded Redis under generated concurrent workloads; see the module's README for how to
 * replay a failing seed and how {@code -Dstampede.broken=true} shows that the properties can fail.
 */
package stampede.properties;
