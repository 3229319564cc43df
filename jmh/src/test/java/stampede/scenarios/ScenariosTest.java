package stampede.scenarios;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import stampede.fixtures.Contender;
import stampede.fixtures.Peer;
import stampede.fixtures.RedisBackend;
import stampede.fixtures.Roster;
import stampede.fixtures.StoreType;
import stampede.report.Table;
import stampede.settings.Profile;
import stampede.settings.RedisTopology;
import stampede.settings.TestSettings;

/** The runner's plan and the pieces every scenario shares: selection, profiles, contenders, tables and charts. */
class ScenariosTest {

  @Test
  void nineScenariosWithDistinctIdsSelectedByRegex() {
    List<String> ids = ScenarioRunner.all().stream().map(Scenario::id).toList();
    assertEquals(List.of("callers-sweep", "hot-key-100k", "n-nodes", "midnight", "database-outage", "redis-outage",
        "locking", "shared-hot-key", "priority-overload"), ids);
    assertEquals(List.of("database-outage", "redis-outage"),
        ScenarioRunner.select("outage").stream().map(Scenario::id).toList());
    assertEquals(9, ScenarioRunner.select("").size());
    assertEquals(10_000, new CallersSweep().callerThreads(Profile.QUICK), "the sweep's 10,000 callers");
    assertEquals(2_500, new Midnight().callerThreads(Profile.QUICK));
  }

  /**
   * Every page can carry its errors by kind (class and reason, counted), and every page of a rate-driven scenario
   * (one that measures a floor) states its floor and the machine-bound rule.
   */
  @Test
  void everyPageHasErrorKindsAndEveryRatePageItsFloor() throws Exception {
    for (Scenario s : ScenarioRunner.all()) {
      String template;
      try (var in = getClass().getClassLoader().getResourceAsStream(ScenarioWriter.TEMPLATES + "/" + s.id()
          + ".mustache")) {
        template = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      }
      assertTrue(template.contains("{{> error-kinds}}"), s.id());
      boolean rateDriven = Set.of("hot-key-100k", "n-nodes", "midnight", "database-outage", "redis-outage",
          "shared-hot-key", "priority-overload")
          .contains(s.id());
      assertEquals(rateDriven, template.contains("{{> floor}}"), s.id());
    }
  }

  @Test
  void oneTopologyStartsAtATime() {
    assertThrows(IllegalArgumentException.class, () -> RedisBackend.start(RedisTopology.BOTH));
  }

  @Test
  void everyContenderAppearsInSomeScenarioAndEveryRosterNamesAScenarioThatRuns() {
    Set<String> ids = ScenarioRunner.all().stream().map(Scenario::id).collect(Collectors.toSet());
    for (Contender c : Contender.all()) {
      assertFalse(c.roster().scenarios().isEmpty(), c.name() + " appears nowhere");
      assertTrue(ids.containsAll(c.roster().scenarios()), c.name() + " names a scenario that does not exist: "
          + c.roster().scenarios());
      boolean somewhere = false;
      for (String id : ids) {
        for (StoreType store : StoreType.values()) {
          List<Contender> quick = Contender.suiting(id, store, Profile.QUICK).stream().toList();
          somewhere |= quick.stream().anyMatch(x -> x.name().equals(c.name()));
          // a profile runs what the smaller ones run
          assertTrue(names(Contender.suiting(id, store, Profile.FULL)).containsAll(names(quick)), id);
          assertTrue(names(quick).containsAll(names(Contender.suiting(id, store, Profile.SMOKE))), id);
        }
      }
      assertTrue(somewhere || c.roster().includes("hot-key-100k", StoreType.CAFFEINE, Profile.FULL)
          || c.name().contains("JITTER"), c.name() + " runs in no quick scenario");
    }
  }

  @Test
  void aScenarioGetsItsRowsFromTheRostersInDeclarationOrderAndTheStrategiesKept() {
    // the peers' stores: Redisson only on Redis, the Caffeine peers only in process
    assertEquals(List.of("TWO_LEVEL_COALESCING"), names(Contender.suiting("n-nodes", StoreType.REDIS,
        Profile.SMOKE)));
    assertEquals(List.of("CACHE_ASIDE", "SINGLE_FLIGHT", "DISTRIBUTED_LOCK", "TWO_LEVEL_COALESCING", "LAYERED_STACK",
        "REDISSON_LOCK"), names(Contender.suiting("n-nodes", StoreType.REDIS, Profile.QUICK)));
    assertFalse(names(Contender.suiting("hot-key-100k", StoreType.REDIS, Profile.FULL)).contains("CAFFEINE_ASYNC_GET"));
    assertTrue(names(Contender.suiting("hot-key-100k", StoreType.CAFFEINE, Profile.QUICK))
        .contains("CAFFEINE_ASYNC_GET"));
    assertEquals(List.of("CACHE_ASIDE", "SINGLE_FLIGHT", "DISTRIBUTED_LOCK", "ONE_LEASE", "GLOBAL_LOCK"),
        names(Contender.suiting("locking", StoreType.CAFFEINE, Profile.SMOKE)));
    Context ctx = new Context(TestSettings.of("bench.profile=smoke", "bench.strategies=SINGLE_FLIGHT,ONE_LEASE"), null,
        OpenLoop.Clock.system());
    assertEquals(List.of("SINGLE_FLIGHT", "ONE_LEASE"), names(ctx.contenders("locking", StoreType.CAFFEINE)));
    assertTrue(Contender.of(Peer.REDISSON_LOCK).runsOn(StoreType.REDIS));
    assertFalse(Contender.of(Peer.REDISSON_LOCK).runsOn(StoreType.CAFFEINE));
  }

  @Test
  void aRosterReadsItsSpecAndNamesAWrongEntry() {
    Roster r = Roster.of("a:smoke b@REDIS:full b@CAFFEINE c");
    assertTrue(r.includes("a", StoreType.CAFFEINE, Profile.SMOKE));
    assertFalse(r.includes("b", StoreType.REDIS, Profile.QUICK));
    assertTrue(r.includes("b", StoreType.REDIS, Profile.FULL));
    assertTrue(r.includes("b", StoreType.CAFFEINE, Profile.QUICK));
    assertFalse(r.includes("c", StoreType.CAFFEINE, Profile.SMOKE), "quick unless it says otherwise");
    assertTrue(r.includes("c", StoreType.REDIS, Profile.QUICK));
    assertFalse(r.includes("d", StoreType.REDIS, Profile.FULL));
    assertThrows(IllegalArgumentException.class, () -> Roster.of("a:medium"));
    assertThrows(IllegalArgumentException.class, () -> Roster.of("a@DISK"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Roster.of("a a:full")).getMessage()
        .contains("twice"));
  }

  static List<String> names(List<Contender> cs) {
    return cs.stream().map(Contender::name).toList();
  }

  @Test
  void tablesFormatNumbersAlike() {
    Table t = new Table("strategy", ">loads").row("A|B", Table.count(12_345));
    assertEquals("| strategy | loads |\n| --- | ---: |\n| A\\|B | 12,345 |\n", t.markdown());
    assertEquals("0.123", Table.ms(0.12345));
    assertEquals("1.23", Table.ms(1.2345));
    assertEquals("12.3", Table.ms(12.345));
    assertEquals("1,235", Table.ms(1234.5));
    assertEquals("-", Table.ms(Double.NaN));
    assertEquals("50.00%", Table.percent(1, 2));
    assertEquals("-", Table.percent(1, 0));
    assertEquals("burst", Table.rate(Double.POSITIVE_INFINITY));
    assertThrows(IllegalArgumentException.class, () -> t.row("only one cell"));
  }

  @Test
  void theAgeOfAValueIsReadFromTheLoadTimeTheDatabaseWroteIntoIt() throws Exception {
    stampede.fixtures.Database db = new stampede.fixtures.Database(1_000_000L, 1_000_000L, 500_000_000L);
    String value = db.load("k@with@ats");
    Thread.sleep(20);
    long age = HotKeyAtRate.age(value);
    assertTrue(age >= 20_000_000L && age < 10_000_000_000L, "age " + age);
    assertEquals(-1, HotKeyAtRate.age("no time"));
    assertEquals(-1, HotKeyAtRate.age("k@v1@notanumber"));
    assertEquals(-1, HotKeyAtRate.age(null));
  }
}
