package dev.trapdoor.experiment;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

class SweepTest {
    private static Map<String, List<?>> grid() {
        Map<String, List<?>> g = new LinkedHashMap<>();
        g.put("a", List.of(1, 2, 3));
        g.put("b", List.of(10, 20));
        return g;
    }

    @Test
    void cartesianProductInNestedLoopOrder() {
        Sweep s = Sweep.over(grid());
        assertEquals(List.of("a", "b"), s.parameterNames());
        List<String> seen = new ArrayList<>();
        for (Map<String, Object> p : s.points()) seen.add(p.get("a") + "/" + p.get("b"));
        assertEquals(List.of("1/10", "1/20", "2/10", "2/20", "3/10", "3/20"), seen);
    }

    @Test
    void scalarParameterIsOneValueAndEmptyListIsAnError() {
        Map<String, Object> g = new LinkedHashMap<>();
        g.put("n", 5);
        g.put("k", new int[] {1, 2});
        assertEquals(2, Sweep.over(g).size());
        assertThrows(IllegalArgumentException.class, () -> Sweep.over(Map.of("x", List.of())));
        assertThrows(IllegalArgumentException.class, () -> Sweep.over(Map.of()));
    }

    @Test
    void resultsComeBackInSweepOrderWhateverOrderRunsFinish() {
        // Later points finish first: each run sleeps less the later it is.
        Results r = Sweep.over(Map.of("i", range(0, 24)))
                .parallelism(4)
                .progress(Progress.silent())
                .run(p -> {
                    int i = p.getInt("i");
                    Thread.sleep(24 - i);
                    return Map.of("square", i * i);
                });
        assertEquals(24, r.size());
        for (int i = 0; i < 24; i++) {
            assertEquals(i, r.get(i).index());
            assertEquals(i, r.get(i).point().get("i"));
            assertEquals(i * i, r.get(i).result().get("square"));
        }
    }

    @Test
    void runsReallyOverlapWithParallelismTwo() throws Exception {
        // Both runs must be inside the function at once to pass the latch: fails if runs are serialised.
        CountDownLatch both = new CountDownLatch(2);
        Set<String> threads = ConcurrentHashMap.newKeySet();
        Results r = Sweep.over(Map.of("x", List.of(1, 2)))
                .parallelism(2)
                .progress(Progress.silent())
                .run(p -> {
                    threads.add(Thread.currentThread().getName());
                    both.countDown();
                    return Map.of("met", both.await(5, TimeUnit.SECONDS));
                });
        assertEquals(List.of(true, true), r.column("met"));
        assertEquals(2, threads.size());
    }

    @Test
    void parallelismOneRunsOnTheCallingThread() {
        String caller = Thread.currentThread().getName();
        Results r = Sweep.over(Map.of("x", List.of(1, 2, 3))).parallelism(1).progress(Progress.silent())
                .run(p -> Map.of("thread", Thread.currentThread().getName()));
        assertEquals(List.of(caller, caller, caller), r.column("thread"));
    }

    @Test
    void aFailingPointIsRecordedAndTheOthersRun() {
        Results r = Sweep.over(Map.of("d", List.of(1, 0, 2, 0, 4)))
                .parallelism(3)
                .progress(Progress.silent())
                .run(p -> Map.of("q", 12 / p.getInt("d")));
        assertEquals(5, r.size());
        assertEquals(3, r.ok().size());
        assertEquals(2, r.failures().size());
        Run bad = r.get(1);
        assertEquals(Run.Status.FAILED, bad.status());
        assertEquals("ArithmeticException: / by zero", bad.error());
        assertInstanceOf(ArithmeticException.class, bad.cause());
        assertTrue(bad.result().isEmpty());
        assertEquals(Arrays.asList(12, null, 6, null, 3), r.column("q"));
        assertEquals(Arrays.asList(null, "ArithmeticException: / by zero", null, "ArithmeticException: / by zero", null), r.column("failure"));
        assertEquals(List.of("ok", "failed", "ok", "failed", "ok"), r.column("status"));
    }

    @Test
    void resultKeysMayNotShadowParametersOrBuiltInColumns() {
        Results r = Sweep.over(Map.of("x", List.of(1))).parallelism(1).progress(Progress.silent())
                .run(p -> Map.of("x", 2));
        assertEquals(Run.Status.FAILED, r.get(0).status());
        assertTrue(r.get(0).error().contains("parameter"), r.get(0).error());
        r = Sweep.over(Map.of("x", List.of(1))).parallelism(1).progress(Progress.silent())
                .run(p -> Map.of("status", 2));
        assertTrue(r.get(0).error().contains("built-in"), r.get(0).error());
    }

    @Test
    void repeatKeepsRepetitionsAdjacentWithDistinctSeeds() {
        Results r = Sweep.over(Map.of("n", List.of(1, 2))).repeat(3).parallelism(2).progress(Progress.silent())
                .run(p -> Map.of("seed", p.seed(), "rep", p.repetition()));
        assertEquals(6, r.size());
        assertEquals(List.of(1, 1, 1, 2, 2, 2), r.column("n"));
        assertEquals(List.of(0, 1, 2, 0, 1, 2), r.column("repeat"));
        assertEquals(r.column("repeat"), r.column("rep"));
        assertEquals(6, Set.copyOf(r.column("seed")).size());
    }

    @Test
    void explicitPointsKeepTheirOrderAndMissingParametersAreNull() {
        List<Map<String, ?>> pts = List.of(Map.of("a", 1), Map.of("a", 2, "b", "x"));
        Results r = Sweep.points(pts).parallelism(2).progress(Progress.silent()).run(p -> Map.of("n", p.size()));
        assertEquals(List.of("a", "b"), r.parameterNames());
        assertEquals(Arrays.asList(null, "x"), r.column("b"));
        assertEquals(List.of(1, 2), r.column("n"));
    }

    @Test
    void interruptingTheCallerCancelsRunsNotStarted() throws Exception {
        AtomicInteger started = new AtomicInteger();
        Results[] out = new Results[1];
        CountDownLatch running = new CountDownLatch(1);
        Thread t = Thread.ofPlatform().start(() -> out[0] = Sweep.over(Map.of("i", range(0, 50)))
                .parallelism(2).progress(Progress.silent())
                .run(p -> {
                    started.incrementAndGet();
                    running.countDown();
                    Thread.sleep(200);
                    return Map.of();
                }));
        assertTrue(running.await(5, TimeUnit.SECONDS));
        t.interrupt();
        t.join(10_000);
        assertFalse(t.isAlive());
        Results r = out[0];
        assertEquals(50, r.size());
        long cancelled = r.runs().stream().filter(x -> x.status() == Run.Status.CANCELLED).count();
        assertTrue(cancelled >= 50 - started.get(), "cancelled " + cancelled + ", started " + started.get());
        assertTrue(started.get() < 50);
    }

    @Test
    void progressSeesEveryRunAndTheFailures() {
        List<String> events = java.util.Collections.synchronizedList(new ArrayList<>());
        Progress p = new Progress() {
            @Override public void start(String label, int total) { events.add("start " + label + " " + total); }
            @Override public void update(int done, int failed) { events.add("u"); }
            @Override public void finish(int done, int failed) { events.add("finish " + done + " " + failed); }
        };
        Sweep.over(Map.of("x", List.of(1, 2, 0, 4))).label("div").parallelism(2).progress(p)
                .run(pt -> Map.of("y", 1 / pt.getInt("x")));
        assertEquals("start div 4", events.getFirst());
        assertEquals(4, events.stream().filter("u"::equals).count());
        assertEquals("finish 4 1", events.getLast());
    }

    static List<Integer> range(int from, int to) {
        List<Integer> l = new ArrayList<>();
        for (int i = from; i < to; i++) l.add(i);
        return l;
    }

    private static final class Arrays {
        static List<Object> asList(Object... v) {
            return java.util.Arrays.asList(v);
        }
    }
}
