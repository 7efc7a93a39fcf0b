package dev.trapdoor.api;

import dev.trapdoor.devices.serial.Uart16550;
import dev.trapdoor.snapshot.Snapshot;
import dev.trapdoor.snapshot.SnapshotException;
import dev.trapdoor.vmx.ExitReason;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A VM's recorder and replayer. Recording puts itself between each UART and its console (every
 * poll is counted, the bytes taken are events), notes the API changes scripts make, and keeps a
 * checkpoint every so many exits. Replaying restores a snapshot of the recording, answers the
 * UARTs' polls from the recorded bytes at the same poll positions, re-applies the scripts' changes
 * at the same exits, and skips hooks (their effects are in the recording). Past the recording's
 * end, or once a script changes something while replaying (history forks), it records again.
 */
final class RecordReplay {
    enum Mode { OFF, RECORDING, REPLAYING }

    private final Vm vm;
    private Mode mode = Mode.OFF;
    private Recording rec;
    private long checkpointEvery;
    private long lastCheckpointExit;
    private final Map<String, Uart16550> uarts = new LinkedHashMap<>();
    private final Map<String, Long> polls = new HashMap<>();
    private final Map<String, Integer> cursors = new HashMap<>();
    private final Map<String, List<Recording.Event>> serial = new HashMap<>();
    private final Map<Long, List<Recording.Event>> before = new HashMap<>();
    /** The after-events in order of (exit, instructions), and the next one to apply. */
    private final List<Recording.Event> after = new ArrayList<>();
    private int afterCursor;
    private long lastBeforeApplied = -1;
    /** The replay stops when this exit is taken (left pending), or -1. */
    long seekExit = -1;
    /** True while a seek runs: watches are not consulted, the replay just goes to its target. */
    boolean seeking;
    /** True while recorded changes are being re-applied (they are not recorded again). */
    private boolean applying;

    RecordReplay(Vm vm) {
        this.vm = vm;
    }

    Mode mode() { return mode; }
    Recording recording() { return rec; }
    boolean replaying() { return mode == Mode.REPLAYING; }

    private void findUarts() {
        uarts.clear();
        for (var e : vm.getDevices().entrySet()) if (e.getValue() instanceof Uart16550 u) uarts.put(e.getKey(), u);
    }

    // ---- recording

    Recording start(long everyExits) {
        if (everyExits < 0) throw new IllegalArgumentException("the checkpoint interval is a number of exits (0 = none)");
        findUarts();
        Snapshot start = vm.snapshot();
        polls.clear();
        for (String n : uarts.keySet()) polls.put(n, 0L);
        rec = new Recording(start, polls);
        checkpointEvery = everyExits;
        lastCheckpointExit = start.getExits();
        toRecording();
        return rec;
    }

    private void toRecording() {
        mode = Mode.RECORDING;
        seekExit = -1;
        seeking = false;
        for (var u : uarts.entrySet()) {
            String name = u.getKey();
            Uart16550 uart = u.getValue();
            uart.setInputSource(() -> {
                int b = uart.backend().poll();
                long at = polls.merge(name, 1L, Long::sum) - 1;
                if (b >= 0) add(Recording.Kind.SERIAL, name, at, b & 0xff, 0, null);
                return b;
            });
        }
    }

    Recording stop() {
        for (Uart16550 u : uarts.values()) u.setInputSource(null);
        mode = Mode.OFF;
        seekExit = -1;
        seeking = false;
        return rec;
    }

    /** Records an API change a script made (not the default handlers' own, nor a replay's). */
    void note(Vcpu v, Recording.Kind kind, String target, long a, long b, byte[] data) {
        if (applying || mode == Mode.OFF || v.inDefaultHandler()) return;
        if (mode == Mode.REPLAYING) {
            // A change while replaying: the recorded future no longer follows. Keep the past, record from here.
            Exit at = guestExitAt(v);
            rec.truncateAfter(at != null ? at.guestNumber : v.guestExitCount(), at != null, v.getInstructions());
            lastCheckpointExit = rec.endExit;
            toRecording();
        }
        add(kind, target, -1, a, b, data);
    }

    /** The guest exit being handled or stopped on, or null between exits (a host-caused exit counts as between). */
    private static Exit guestExitAt(Vcpu v) {
        Exit at = v.currentExit();
        return at != null && at.guestNumber > 0 ? at : null;
    }

    private void add(Recording.Kind kind, String target, long poll, long a, long b, byte[] data) {
        Vcpu v = vm.getVcpu();
        Exit at = guestExitAt(v);
        long exit = at != null ? at.guestNumber : v.guestExitCount();
        rec.events.add(new Recording.Event(kind, exit, at == null, v.getInstructions(), target == null ? "" : target, poll, a, b, data));
    }

    // ---- the run loop's calls

    /** A new exit: noted while recording (and maybe a checkpoint); while replaying, true if it is the seek target. */
    boolean exitTaken(Vcpu v, Exit e) {
        if (e.guestNumber <= 0) return false;
        if (mode == Mode.RECORDING) {
            rec.noteExit(e.guestNumber, e.getReason().ordinal(), v.getInstructions());
            if (checkpointEvery > 0 && e.guestNumber - lastCheckpointExit >= checkpointEvery) {
                lastCheckpointExit = e.guestNumber;
                rec.checkpoints.add(new Recording.Checkpoint(v.snapshotAt(e), Map.copyOf(polls), rec.events.size()));
            }
            return false;
        }
        if (mode != Mode.REPLAYING) return false;
        if (e.guestNumber == seekExit) return true;
        if (e.guestNumber > rec.endExit) {
            toRecording(); // past the end of what was recorded: live input from here, recorded again
            lastCheckpointExit = e.guestNumber;
            rec.noteExit(e.guestNumber, e.getReason().ordinal(), v.getInstructions());
        }
        return false;
    }

    /** Before exit e is handled while replaying: applies its recorded changes; true if the exit was handled by them. */
    boolean beforeDispatch(Vcpu v, Exit e) {
        if (mode != Mode.REPLAYING || e.guestNumber <= 0 || e.guestNumber <= lastBeforeApplied) return false;
        lastBeforeApplied = e.guestNumber;
        List<Recording.Event> l = before.get(e.guestNumber);
        if (l == null) return false;
        boolean handled = false;
        applying = true;
        try {
            for (Recording.Event ev : l) handled |= apply(v, e, ev);
        } finally {
            applying = false;
        }
        return handled;
    }

    /** Before the guest runs on: applies the changes recorded at this exit and instruction count. */
    void beforeEntry(Vcpu v) {
        long g = v.guestExitCount(), n = v.getInstructions();
        while (afterCursor < after.size()) {
            Recording.Event ev = after.get(afterCursor);
            if (ev.exit() > g || (ev.exit() == g && ev.instructions() > n)) return;
            afterCursor++;
            if (ev.exit() < g || ev.instructions() < n) continue; // the replay has passed it (it started later)
            applying = true;
            try {
                apply(v, null, ev);
            } finally {
                applying = false;
            }
        }
    }

    /** How far the guest may run before the next recorded change between exits must be applied. */
    long entryLimit(Vcpu v) {
        if (afterCursor >= after.size()) return Long.MAX_VALUE;
        Recording.Event ev = after.get(afterCursor);
        return ev.exit() == v.guestExitCount() && ev.instructions() > v.getInstructions() ? ev.instructions() : Long.MAX_VALUE;
    }

    /** Recording: a hook handled exit e itself. */
    void handledByHook(Vcpu v, Exit e) {
        if (mode == Mode.RECORDING && !applying) add(Recording.Kind.HANDLED, "", -1, 0, 0, null);
    }

    private boolean apply(Vcpu v, Exit e, Recording.Event ev) {
        switch (ev.kind()) {
            case REGISTER -> v.set(ev.target(), ev.a());
            case REGISTERS -> {
                v.setRegisters(RegisterBytes.decode(ev.data()));
                return true;
            }
            case MEMORY -> vm.memory().physical().write(ev.a(), ev.data(), 0, ev.data().length, false);
            case EXCEPTION -> v.injectException((int) ev.a(), (int) ev.b());
            case INTERRUPT -> v.injectInterrupt((int) ev.a());
            case EXIT_VALUE -> {
                if (e != null) e.setValue(ev.a());
            }
            case HANDLED -> {
                return true;
            }
            case SERIAL -> { }
        }
        return false;
    }

    // ---- replaying

    /**
     * Restores checkpoint cp of r and replays from it. The UART polls are answered from the
     * recording from the checkpoint's poll positions on.
     */
    void replayFrom(Recording r, Recording.Checkpoint cp) {
        if (r.getStart() == null) throw new IllegalArgumentException("no recording");
        findUarts();
        vm.restore(cp.snapshot());
        rec = r;
        polls.clear();
        polls.putAll(cp.polls());
        serial.clear();
        before.clear();
        after.clear();
        cursors.clear();
        for (Recording.Event ev : r.events) {
            if (ev.kind() == Recording.Kind.SERIAL) serial.computeIfAbsent(ev.target(), k -> new ArrayList<>()).add(ev);
            else if (ev.after()) after.add(ev);
            else before.computeIfAbsent(ev.exit(), k -> new ArrayList<>()).add(ev);
        }
        lastBeforeApplied = -1;
        after.sort(java.util.Comparator.comparingLong(Recording.Event::exit).thenComparingLong(Recording.Event::instructions));
        afterCursor = 0;
        for (String n : uarts.keySet()) {
            List<Recording.Event> l = serial.getOrDefault(n, List.of());
            long from = polls.getOrDefault(n, 0L);
            int c = 0;
            while (c < l.size() && l.get(c).poll() < from) c++;
            cursors.put(n, c);
        }
        mode = Mode.REPLAYING;
        seekExit = -1;
        seeking = false;
        for (var u : uarts.entrySet()) {
            String name = u.getKey();
            u.getValue().setInputSource(() -> {
                long at = polls.merge(name, 1L, Long::sum) - 1;
                List<Recording.Event> l = serial.getOrDefault(name, List.of());
                int c = cursors.get(name);
                if (c < l.size() && l.get(c).poll() == at) {
                    cursors.put(name, c + 1);
                    return (int) l.get(c).a();
                }
                return -1;
            });
        }
    }

    /** The latest checkpoint at or before exit number exit (the start if none). */
    Recording.Checkpoint checkpointForExit(long exit) {
        Recording.Checkpoint best = rec.checkpoints.getFirst();
        for (Recording.Checkpoint c : rec.checkpoints) if (c.snapshot().getExits() <= exit) best = c;
        return best;
    }

    /** The latest checkpoint at or before this instruction count. */
    Recording.Checkpoint checkpointForInstructions(long instructions) {
        Recording.Checkpoint best = rec.checkpoints.getFirst();
        if (best.snapshot().getInstructions() > instructions)
            throw new SnapshotException("instruction " + instructions + " is before the recording's start (" + best.snapshot().getInstructions() + ")");
        for (Recording.Checkpoint c : rec.checkpoints) if (c.snapshot().getInstructions() <= instructions) best = c;
        return best;
    }

    /** The latest exit before exit number before whose reason is reason (null: any), or -1. */
    long previousExit(long beforeExit, ExitReason reason) {
        for (long s = Math.min(beforeExit - 1, rec.endExit); s > rec.getStart().getExits(); s--) {
            int r = rec.reasonOf(s);
            if (r >= 0 && (reason == null || r == reason.ordinal())) return s;
        }
        return -1;
    }
}
