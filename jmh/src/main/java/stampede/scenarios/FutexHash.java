package stampede.scenarios;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodType;
import java.lang.reflect.Array;
import java.lang.reflect.Method;
import java.util.Locale;
import java.util.Optional;

/**
 * Enlarges this process's private futex hash (Linux 6.16 and later), so that thousands of parked caller threads do
 * not slow every park and unpark in the JVM.
 *
 * <p><b>Why.</b> Since Linux 6.16 a multi-threaded process hashes its private futexes (every parked Java thread
 * waits on one) into a table of its own, sized from the number of CPUs: 16 slots on a 2-core machine, whatever the
 * number of threads. With the 10,000 caller threads of the scenarios parked, every futex wait and wake walks chains
 * of hundreds of waiters: on the 2-core development machine a park/unpark round trip between two threads went from
 * 8 us to 80 us with 10,000 other threads parked, and a load generator handing requests to threads fell seconds
 * behind at 100,000 requests/s. That is an artefact of the kernel's table size, not of any strategy. The documented
 * {@code prctl(PR_FUTEX_HASH, PR_FUTEX_HASH_SET_SLOTS, slots)} gives the process a larger table (round trip back to
 * about 15 us with 10,000 threads parked).
 *
 * <p><b>How.</b> The JDK has no prctl, so it is called through the JDK's foreign-function API, by reflection (the
 * code compiles for Java 17 with no flags): {@code jdk.incubator.foreign} on JDK 17 (run with
 * {@code --add-modules=jdk.incubator.foreign --enable-native-access=ALL-UNNAMED}; the {@code bench} profile adds them
 * on JDK 17) or {@code java.lang.foreign} on JDK 22 and later. Anywhere else (another OS, an older kernel, another
 * JDK, the module not added) nothing changes and {@link #enlarge} says why; every table states the outcome.
 */
public final class FutexHash {
  static final int PR_FUTEX_HASH = 78;
  static final int PR_FUTEX_HASH_SET_SLOTS = 1;
  static final int PR_FUTEX_HASH_GET_SLOTS = 2;

  private FutexHash() {
  }

  /** Asks for {@code slots} (a power of two) futex hash slots; returns what happened, for the tables. */
  public static String enlarge(int slots) {
    if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
      return "not Linux: nothing to change";
    }
    MethodHandle prctl;
    try {
      prctl = prctl();
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      return "unchanged (no foreign-function access to prctl: " + e.getClass().getSimpleName() + ")";
    }
    try {
      int before = (int) prctl.invokeWithArguments(PR_FUTEX_HASH, (long) PR_FUTEX_HASH_GET_SLOTS, 0L, 0L, 0L);
      if (before < 0) {
        return "kernel without a private futex hash (before 6.16): nothing to change";
      }
      int set = (int) prctl.invokeWithArguments(PR_FUTEX_HASH, (long) PR_FUTEX_HASH_SET_SLOTS, (long) slots, 0L, 0L);
      int after = (int) prctl.invokeWithArguments(PR_FUTEX_HASH, (long) PR_FUTEX_HASH_GET_SLOTS, 0L, 0L, 0L);
      return set == 0 ? "private futex hash enlarged from " + before + " to " + after + " slots (prctl PR_FUTEX_HASH)"
          : "unchanged at " + before + " slots (prctl PR_FUTEX_HASH refused)";
    } catch (Throwable t) {
      return "unchanged (prctl failed: " + t + ")";
    }
  }

  /** {@code int prctl(int, long, long, long, long)} through whichever foreign-function API this JDK has. */
  private static MethodHandle prctl() throws ReflectiveOperationException {
    MethodType type = MethodType.methodType(int.class, int.class, long.class, long.class, long.class, long.class);
    if (Runtime.version().feature() >= 22) {
      Class<?> linkerClass = Class.forName("java.lang.foreign.Linker");
      Class<?> lookupClass = Class.forName("java.lang.foreign.SymbolLookup");
      Class<?> segmentClass = Class.forName("java.lang.foreign.MemorySegment");
      Class<?> layoutClass = Class.forName("java.lang.foreign.MemoryLayout");
      Class<?> descriptorClass = Class.forName("java.lang.foreign.FunctionDescriptor");
      Class<?> valueLayout = Class.forName("java.lang.foreign.ValueLayout");
      Class<?> optionClass = Class.forName("java.lang.foreign.Linker$Option");
      Object linker = linkerClass.getMethod("nativeLinker").invoke(null);
      Object lookup = linkerClass.getMethod("defaultLookup").invoke(linker);
      Object symbol = ((Optional<?>) lookupClass.getMethod("find", String.class).invoke(lookup, "prctl")).orElseThrow();
      Object cInt = valueLayout.getField("JAVA_INT").get(null);
      Object cLong = valueLayout.getField("JAVA_LONG").get(null);
      Object rest = Array.newInstance(layoutClass, 5);
      Array.set(rest, 0, cInt);
      for (int i = 1; i < 5; i++) {
        Array.set(rest, i, cLong);
      }
      Method of = descriptorClass.getMethod("of", layoutClass, rest.getClass());
      Object descriptor = of.invoke(null, cInt, rest);
      Method downcall = linkerClass.getMethod("downcallHandle", segmentClass, descriptorClass, optionClass.arrayType());
      return ((MethodHandle) downcall.invoke(linker, symbol, descriptor, Array.newInstance(optionClass, 0)))
          .asType(type);
    }
    // JDK 17's incubator API (it changed in 18 and 19, and is gone since 21)
    Class<?> linkerClass = Class.forName("jdk.incubator.foreign.CLinker");
    Class<?> lookupClass = Class.forName("jdk.incubator.foreign.SymbolLookup");
    Class<?> addressable = Class.forName("jdk.incubator.foreign.Addressable");
    Class<?> layoutClass = Class.forName("jdk.incubator.foreign.MemoryLayout");
    Class<?> descriptorClass = Class.forName("jdk.incubator.foreign.FunctionDescriptor");
    Object lookup = linkerClass.getMethod("systemLookup").invoke(null);
    Object symbol = ((Optional<?>) lookupClass.getMethod("lookup", String.class).invoke(lookup, "prctl"))
        .orElseThrow();
    Object cInt = linkerClass.getField("C_INT").get(null);
    Object cLong = linkerClass.getField("C_LONG").get(null);
    Object rest = Array.newInstance(layoutClass, 5);
    Array.set(rest, 0, cInt);
    for (int i = 1; i < 5; i++) {
      Array.set(rest, i, cLong);
    }
    Object descriptor = descriptorClass.getMethod("of", layoutClass, rest.getClass()).invoke(null, cInt, rest);
    Object linker = linkerClass.getMethod("getInstance").invoke(null);
    return (MethodHandle) linkerClass.getMethod("downcallHandle", addressable, MethodType.class, descriptorClass)
        .invoke(linker, symbol, type, descriptor);
  }

  /*
   * How to run it: ScenarioRunner calls it once, before it starts the caller threads. To see what it does on this
   * machine, from the shaded jar (JDK 17):
   *
   *   java --add-modules=jdk.incubator.foreign --enable-native-access=ALL-UNNAMED -cp jmh/target/benchmarks.jar \
   *       stampede.scenarios.ScenarioRunner --futex-only
   */
}
