package stampede.scenarios;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import stampede.core.Event;

class TimelineTest {
  static final long MS = 1_000_000L;

  @Test
  void countsPerBucketAndKeepsWhatFallsOutside() {
    Timeline t = new Timeline(Duration.ofMillis(100), Duration.ofMillis(350)); // 4 buckets
    t.record(0); // not started: ignored
    t.start(1_000 * MS);
    t.record(1_000 * MS);
    t.record(1_099 * MS);
    t.record(1_100 * MS);
    t.add(1_350 * MS, 5);
    t.record(999 * MS); // before the origin
    t.record(1_400 * MS); // past the last bucket
    assertArrayEquals(new long[] {2, 1, 0, 5}, t.buckets());
    assertEquals(2, t.outside());
    assertEquals(8, t.sum(0, Long.MAX_VALUE));
    assertEquals(1, t.sum(100 * MS, 300 * MS), "the buckets starting at 100 and 200 ms");
    assertEquals(5, t.max(0, Long.MAX_VALUE));
    assertEquals(1, t.max(100 * MS, 300 * MS));
    t.start(2_000 * MS);
    assertArrayEquals(new long[] {0, 0, 0, 0}, t.buckets(), "a restart clears it");
  }

  @Test
  void timelineMetricsBucketsOnlyTheEventsAskedFor() {
    TimelineMetrics m = new TimelineMetrics(Duration.ofSeconds(10), Duration.ofSeconds(10), Event.STALE_SERVED);
    m.start(System.nanoTime());
    m.record(Event.STALE_SERVED, "k");
    m.record(Event.HIT, "k"); // not kept
    assertEquals(1, m.of(Event.STALE_SERVED).get(0));
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> m.of(Event.HIT));
  }
}
