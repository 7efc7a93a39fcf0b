package dev.trapdoor.snapshot;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;

/**
 * The whole state of a VM at one point between runs: named sections of bytes ("ram/ram",
 * "cpu0", "vmcs0", "dev/serial0", "clock", ...), plus what identifies the machine it came from
 * (its memory layout and device list, which a restore must match) and where in the run it was
 * taken (instructions retired, exits taken, virtual nanoseconds).
 *
 * <p>The file form (little-endian):
 * <pre>
 *   8 bytes   magic "TRAPSNAP"
 *   u32       format version (1)
 *   u32       section count
 *   sections  u16 name length, name (UTF-8), u64 data length, data
 *   u32       CRC-32C of every byte before it
 * </pre>
 * The first section is "meta": the machine description, instruction count, exit sequence and
 * virtual time. A file with another magic, version or checksum, or a truncated one, is refused
 * with one {@link SnapshotException}.
 */
public final class Snapshot {
    public static final byte[] MAGIC = "TRAPSNAP".getBytes(StandardCharsets.US_ASCII);
    public static final int VERSION = 1;
    static final String META = "meta";

    private final String machine;
    private final long instructions;
    private final long exits;
    private final long nanos;
    private final Map<String, byte[]> sections;

    public Snapshot(String machine, long instructions, long exits, long nanos, Map<String, byte[]> sections) {
        this.machine = machine;
        this.instructions = instructions;
        this.exits = exits;
        this.nanos = nanos;
        this.sections = Collections.unmodifiableMap(new LinkedHashMap<>(sections));
        if (sections.containsKey(META)) throw new IllegalArgumentException("'meta' is the snapshot's own section");
    }

    /** The machine this came from: memory layout, devices, vCPUs, backend. A restore must match it. */
    public String getMachine() { return machine; }
    /** Guest instructions retired at the snapshot (vCPU 0). */
    public long getInstructions() { return instructions; }
    /** Guest exits vCPU 0 had taken at the snapshot (exits the host caused, stop requests and step limits, not counted). */
    public long getExits() { return exits; }
    /** Virtual time at the snapshot, in nanoseconds. */
    public long getNanos() { return nanos; }
    public Map<String, byte[]> sections() { return sections; }

    /** A section's bytes, or a SnapshotException naming what is missing. */
    public byte[] section(String name) {
        byte[] b = sections.get(name);
        if (b == null) throw new SnapshotException("the snapshot has no section '" + name + "' (it holds " + sections.keySet() + ")");
        return b;
    }

    /** Total bytes of state held. */
    public long byteSize() {
        long n = 0;
        for (byte[] b : sections.values()) n += b.length;
        return n;
    }

    // ---- the file form

    public void write(Path path) {
        try (OutputStream file = Files.newOutputStream(path)) {
            writeTo(file);
        } catch (IOException e) {
            throw new SnapshotException("cannot write the snapshot to " + path + ": " + e.getMessage(), e);
        }
    }

    public void write(String path) {
        write(Path.of(path));
    }

    public void writeTo(OutputStream os) throws IOException {
        CRC32C crc = new CRC32C();
        CheckedOutputStream checked = new CheckedOutputStream(new BufferedOutputStream(os, 1 << 16), crc);
        DataOutputStream out = new DataOutputStream(checked);
        out.write(MAGIC);
        writeIntLe(out, VERSION);
        writeIntLe(out, sections.size() + 1);
        writeSection(out, META, meta());
        for (var e : sections.entrySet()) writeSection(out, e.getKey(), e.getValue());
        out.flush();
        int sum = (int) crc.getValue();
        writeIntLe(new DataOutputStream(os), sum);
        os.flush();
    }

    public byte[] toBytes() {
        var bos = new java.io.ByteArrayOutputStream();
        try {
            writeTo(bos);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return bos.toByteArray();
    }

    private byte[] meta() {
        return new StateWriter().string(machine).i64(instructions).i64(exits).i64(nanos).toByteArray();
    }

    private static void writeSection(DataOutputStream out, String name, byte[] data) throws IOException {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        out.write(n.length & 0xff);
        out.write(n.length >>> 8);
        out.write(n);
        writeLongLe(out, data.length);
        out.write(data);
    }

    private static void writeIntLe(DataOutputStream out, int v) throws IOException {
        out.writeInt(Integer.reverseBytes(v));
    }

    private static void writeLongLe(DataOutputStream out, long v) throws IOException {
        out.writeLong(Long.reverseBytes(v));
    }

    public static Snapshot read(Path path) {
        byte[] all;
        try {
            all = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new SnapshotException("no snapshot file " + path);
        } catch (IOException e) {
            throw new SnapshotException("cannot read the snapshot " + path + ": " + e.getMessage(), e);
        }
        return fromBytes(all, path.toString());
    }

    public static Snapshot read(String path) {
        return read(Path.of(path));
    }

    /** Parses the file form; where names the source in error messages. */
    public static Snapshot fromBytes(byte[] all, String where) {
        if (all.length < MAGIC.length + 12 || !java.util.Arrays.equals(all, 0, MAGIC.length, MAGIC, 0, MAGIC.length))
            throw new SnapshotException(where + " is not a Trapdoor snapshot (no TRAPSNAP magic)");
        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        int version = b.getInt(MAGIC.length);
        if (version != VERSION)
            throw new SnapshotException(where + " is a version " + version + " snapshot; this Trapdoor reads version " + VERSION);
        CRC32C crc = new CRC32C();
        crc.update(all, 0, all.length - 4);
        int stored = b.getInt(all.length - 4);
        if ((int) crc.getValue() != stored)
            throw new SnapshotException(String.format("%s is damaged: its checksum is %08x, its contents sum to %08x", where, stored, (int) crc.getValue()));
        int count = b.getInt(MAGIC.length + 4);
        b.position(MAGIC.length + 8);
        b.limit(all.length - 4);
        Map<String, byte[]> sections = new LinkedHashMap<>();
        try {
            for (int i = 0; i < count; i++) {
                int nameLength = b.getShort() & 0xffff;
                byte[] name = new byte[nameLength];
                b.get(name);
                long length = b.getLong();
                if (length < 0 || length > b.remaining()) throw new SnapshotException(where + " is damaged: a section runs past the end");
                byte[] data = new byte[(int) length];
                b.get(data);
                sections.put(new String(name, StandardCharsets.UTF_8), data);
            }
        } catch (java.nio.BufferUnderflowException e) {
            throw new SnapshotException(where + " is damaged: it ends inside a section");
        }
        if (b.hasRemaining()) throw new SnapshotException(where + " is damaged: " + b.remaining() + " bytes after the last section");
        byte[] meta = sections.remove(META);
        if (meta == null) throw new SnapshotException(where + " has no 'meta' section");
        StateReader m = new StateReader(where + " meta", meta);
        Snapshot s = new Snapshot(m.string(), m.i64(), m.i64(), m.i64(), sections);
        m.done();
        return s;
    }

    @Override
    public String toString() {
        return String.format("snapshot at %,d instructions, exit %,d, %,d ns (%,d KiB)", instructions, exits, nanos, byteSize() >> 10);
    }
}
