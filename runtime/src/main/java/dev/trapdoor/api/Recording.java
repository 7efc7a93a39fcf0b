package dev.trapdoor.api;

import dev.trapdoor.snapshot.Snapshot;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * What a recorded run took from outside the machine, so that a replay from the same starting
 * snapshot runs exactly the same: the bytes each UART received (by the position of the poll that
 * took them, with the exit and instruction count at delivery) and the changes scripts made
 * through the API (register and memory writes, injected events, exits a hook answered or
 * handled itself). Everything else is a function of the start state on the virtual clock.
 * While recording, checkpoints (snapshots at exits) are kept for reverse execution.
 */
public final class Recording {
    /** The kinds of outside input. */
    public enum Kind {
        /** A byte the UART named by target received (a = the byte). */
        SERIAL,
        /** Vcpu.set(target, a). */
        REGISTER,
        /** Vcpu.setRegisters (data: the register file); it also ends a pending exit unhandled. */
        REGISTERS,
        /** A memory write through vm.mem (a = address, data = bytes). */
        MEMORY,
        /** Vcpu.injectException(a, b). */
        EXCEPTION,
        /** Vcpu.injectInterrupt(a). */
        INTERRUPT,
        /** Exit.setValue(a) from a hook (an IN or MMIO read answered by the script). */
        EXIT_VALUE,
        /** A hook returned HANDLED: the default handler did not run. */
        HANDLED
    }

    /**
     * One input. exit, after and instructions say where it applies: before guest exit number
     * {@code exit} is handled (after = false), or once exit was finished and the guest has run on
     * to {@code instructions} (after = true). Guest exits are numbered without the exits the host
     * causes (stop requests, step limits), so stopping and stepping while recording or replaying
     * moves nothing. poll is the UART's poll index for SERIAL, -1 otherwise.
     */
    public record Event(Kind kind, long exit, boolean after, long instructions, String target, long poll, long a, long b, byte[] data) {
        @Override
        public String toString() {
            return String.format("%s%s at exit %d%s (%,d instructions)%s", kind, target.isEmpty() ? "" : " " + target, exit,
                    after ? " (after)" : "", instructions, kind == Kind.SERIAL ? String.format(" byte %#04x", a) : "");
        }
    }

    /** A snapshot taken while recording, with the UART poll counts at it and the number of events before it. */
    record Checkpoint(Snapshot snapshot, Map<String, Long> polls, int events) {}

    private final Snapshot start;
    final List<Event> events = new ArrayList<>();
    final List<Checkpoint> checkpoints = new ArrayList<>();
    /** Exit reason ordinal of each exit after the start, in order (for reverse-continue). */
    byte[] reasons = new byte[1024];
    int reasonCount;
    long endExit;
    long endInstructions;

    Recording(Snapshot start, Map<String, Long> polls) {
        this.start = start;
        checkpoints.add(new Checkpoint(start, Map.copyOf(polls), 0));
        endExit = start.getExits();
        endInstructions = start.getInstructions();
    }

    /** The state the recording starts from. */
    public Snapshot getStart() { return start; }
    public List<Event> getEvents() { return Collections.unmodifiableList(events); }
    /** The last exit recorded. */
    public long getEndExit() { return endExit; }
    public long getEndInstructions() { return endInstructions; }
    public int getCheckpointCount() { return checkpoints.size(); }

    /** The bytes the UARTs received, in order, as text. */
    public String getSerialInput() {
        StringBuilder b = new StringBuilder();
        for (Event e : events) if (e.kind() == Kind.SERIAL) b.append((char) e.a());
        return b.toString();
    }

    void noteExit(long sequence, int reasonOrdinal, long instructions) {
        int at = (int) (sequence - start.getExits() - 1);
        if (at < 0) return;
        if (at >= reasons.length) reasons = java.util.Arrays.copyOf(reasons, Math.max(reasons.length * 2, at + 1));
        reasons[at] = (byte) reasonOrdinal;
        reasonCount = Math.max(reasonCount, at + 1);
        endExit = Math.max(endExit, sequence);
        endInstructions = Math.max(endInstructions, instructions);
    }

    /** The exit reason ordinal of exit number sequence, or -1 when it is not in the recording. */
    int reasonOf(long sequence) {
        long at = sequence - start.getExits() - 1;
        return at < 0 || at >= reasonCount ? -1 : reasons[(int) at];
    }

    /**
     * Forgets everything from a point on: history forks there. The point is guest exit number
     * exit, either pending and not yet handled (pendingPoint), or finished and the guest run on to
     * the instruction count instructions.
     */
    void truncateAfter(long exit, boolean pendingPoint, long instructions) {
        events.removeIf(e -> e.exit() > exit || (e.exit() == exit && (pendingPoint || (e.after() && e.instructions() >= instructions))));
        checkpoints.removeIf(c -> c != checkpoints.getFirst() && c.snapshot().getExits() > exit);
        reasonCount = (int) Math.max(0, Math.min(reasonCount, (pendingPoint ? exit - 1 : exit) - start.getExits()));
        endExit = pendingPoint ? exit - 1 : exit;
        endInstructions = instructions;
    }

    // ---- the file form: magic "TRAPREC1", the start snapshot's file form, the events, the exit reasons, a CRC-32C

    private static final byte[] MAGIC = "TRAPREC1".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** Writes the start snapshot, the inputs and the exit reasons (checkpoints are not kept: a replay makes them again). */
    public void write(String path) {
        dev.trapdoor.snapshot.StateWriter w = new dev.trapdoor.snapshot.StateWriter();
        w.bytes(start.toBytes()).i64(endExit).i64(endInstructions).bytes(reasons, 0, reasonCount).i32(events.size());
        for (Event e : events) {
            w.i32(e.kind().ordinal()).i64(e.exit()).bool(e.after()).i64(e.instructions()).string(e.target()).i64(e.poll())
                    .i64(e.a()).i64(e.b()).bool(e.data() != null);
            if (e.data() != null) w.bytes(e.data());
        }
        byte[] body = w.toByteArray();
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(body);
        byte[] all = new byte[MAGIC.length + body.length + 4];
        System.arraycopy(MAGIC, 0, all, 0, MAGIC.length);
        System.arraycopy(body, 0, all, MAGIC.length, body.length);
        int sum = (int) crc.getValue();
        for (int i = 0; i < 4; i++) all[all.length - 4 + i] = (byte) (sum >>> (8 * i));
        try {
            java.nio.file.Files.write(java.nio.file.Path.of(path), all);
        } catch (java.io.IOException e) {
            throw new dev.trapdoor.snapshot.SnapshotException("cannot write the recording to " + path + ": " + e.getMessage(), e);
        }
    }

    public static Recording read(String path) {
        byte[] all;
        try {
            all = java.nio.file.Files.readAllBytes(java.nio.file.Path.of(path));
        } catch (java.io.IOException e) {
            throw new dev.trapdoor.snapshot.SnapshotException("cannot read the recording " + path + ": " + e.getMessage(), e);
        }
        if (all.length < MAGIC.length + 4 || !java.util.Arrays.equals(all, 0, MAGIC.length, MAGIC, 0, MAGIC.length))
            throw new dev.trapdoor.snapshot.SnapshotException(path + " is not a Trapdoor recording (no TRAPREC1 magic)");
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(all, MAGIC.length, all.length - MAGIC.length - 4);
        int stored = 0;
        for (int i = 0; i < 4; i++) stored |= (all[all.length - 4 + i] & 0xff) << (8 * i);
        if ((int) crc.getValue() != stored) throw new dev.trapdoor.snapshot.SnapshotException(path + " is damaged: its checksum does not match");
        dev.trapdoor.snapshot.StateReader in = new dev.trapdoor.snapshot.StateReader(path,
                java.util.Arrays.copyOfRange(all, MAGIC.length, all.length - 4));
        Snapshot start = Snapshot.fromBytes(in.bytes(), path);
        Recording r = new Recording(start, Map.of());
        r.endExit = in.i64();
        r.endInstructions = in.i64();
        r.reasons = in.bytes();
        r.reasonCount = r.reasons.length;
        if (r.reasons.length == 0) r.reasons = new byte[1024];
        int n = in.range(0, Integer.MAX_VALUE, "event count");
        Kind[] kinds = Kind.values();
        for (int i = 0; i < n; i++) {
            Kind k = kinds[in.range(0, kinds.length - 1, "event kind")];
            long exit = in.i64();
            boolean after = in.bool();
            long insns = in.i64();
            String target = in.string();
            long poll = in.i64(), a = in.i64(), b = in.i64();
            byte[] data = in.bool() ? in.bytes() : null;
            r.events.add(new Event(k, exit, after, insns, target, poll, a, b, data));
        }
        in.done();
        return r;
    }

    @Override
    public String toString() {
        return String.format("recording from exit %d to %d: %d inputs (%d serial bytes), %d checkpoints", start.getExits(), endExit,
                events.size(), getSerialInput().length(), checkpoints.size());
    }
}
