package dev.trapdoor.devices;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The 64 KiB x86 port-I/O space. Lookup is one array index; mapping over an existing range is an
 * error at wiring time. Reads of unclaimed ports float high (all ones), writes are dropped, as on
 * a PC's ISA bus.
 */
public final class IoBus {
    public record Mapping(String name, int base, int count, PioDevice device) {
        @Override
        public String toString() {
            return String.format("%04x-%04x %s", base, base + count - 1, name);
        }
    }

    private final Mapping[] ports = new Mapping[0x10000];
    private final List<Mapping> mappings = new ArrayList<>();
    private long unclaimed;

    public synchronized Mapping map(String name, int base, int count, PioDevice device) {
        if (base < 0 || count <= 0 || base + count > 0x10000)
            throw new IllegalArgumentException(String.format("port range %x+%d is outside 0-ffff", base, count));
        for (int p = base; p < base + count; p++) {
            if (ports[p] != null)
                throw new IllegalArgumentException(String.format("%s at port %x overlaps %s", name, p, ports[p]));
        }
        Mapping m = new Mapping(name, base, count, device);
        for (int p = base; p < base + count; p++) ports[p] = m;
        mappings.add(m);
        mappings.sort((a, b) -> Integer.compare(a.base, b.base));
        return m;
    }

    public synchronized void unmap(Mapping m) {
        if (!mappings.remove(m)) return;
        for (int p = m.base; p < m.base + m.count; p++) ports[p] = null;
    }

    public List<Mapping> mappings() {
        return Collections.unmodifiableList(mappings);
    }

    public Mapping mappingAt(int port) {
        return ports[port & 0xffff];
    }

    /** Reads size bytes at port. An access that runs past its device is split byte-wise. */
    public int read(int port, int size) {
        port &= 0xffff;
        Mapping m = ports[port];
        if (m != null && port + size <= m.base + m.count) return m.device.read(port - m.base, size) & mask(size);
        if (m == null && size == 1) {
            unclaimed++;
            return 0xff;
        }
        int v = 0;
        for (int i = 0; i < size; i++) v |= read(port + i, 1) << (8 * i);
        return v;
    }

    public void write(int port, int size, int value) {
        port &= 0xffff;
        Mapping m = ports[port];
        if (m != null && port + size <= m.base + m.count) {
            m.device.write(port - m.base, size, value & mask(size));
            return;
        }
        if (m == null && size == 1) {
            unclaimed++;
            return;
        }
        for (int i = 0; i < size; i++) write(port + i, 1, value >>> (8 * i));
    }

    /** Accesses to ports no device claims. */
    public long unclaimedAccesses() {
        return unclaimed;
    }

    private static int mask(int size) {
        return size >= 4 ? -1 : (1 << (8 * size)) - 1;
    }
}
